import type { Action } from '../../gen/actiongate/v1/action.js';

/** The mutations an action would make, one sentence per step, for logging instead of doing them. */
export type SimulationPlan = (action: Action) => readonly string[];

function payloadText(action: Action, key: string, fallback: string): string {
  const value = action.payload?.[key];
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : fallback;
}

/** One plan per built-in action type (see BUILT_IN_ACTION_TYPES in the domain catalog). */
export const SIMULATION_PLANS: Readonly<Record<string, SimulationPlan>> = {
  collect_diagnostics: ({ node, service }) => [
    `collect system logs and kernel messages from node ${node}`,
    `collect the logs and recent errors of service ${service} on node ${node}`,
    `capture process, memory and disk usage on node ${node}`,
    `bundle the diagnostics of ${service} on ${node} and upload the bundle`,
  ],
  rerun_healthcheck: ({ node, service }) => [
    `run the health check of service ${service} on node ${node}`,
    `record the health check result of ${service} on ${node}`,
  ],
  redeploy_service: ({ node, service }) => [
    `drain traffic from service ${service} on node ${node}`,
    `stop service ${service} on node ${node}`,
    `deploy the current release of ${service} to node ${node}`,
    `start service ${service} on node ${node} and wait for its health check`,
    `restore traffic to service ${service} on node ${node}`,
  ],
  rerun_deployment_stage: (action) => {
    const stage = payloadText(action, 'stage', 'the failed stage');
    return [
      `look up the last deployment of service ${action.service} on node ${action.node}`,
      `rerun deployment stage "${stage}" of ${action.service} on ${action.node}`,
      `verify the outcome of stage "${stage}" and record it`,
    ];
  },
};
