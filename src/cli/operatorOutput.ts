import { ActionStatus, ControlState, DecisionKind, RiskLevel, type Action } from '../gen/actiongate/v1/action.js';
import type { ProposeResponse } from '../gen/actiongate/v1/action_service.js';
import type { GetControlStateResponse, HaltState } from '../gen/actiongate/v1/control_service.js';
import { printable } from './printable.js';
import { riskName, shortName, signalLine, statusName, type Style } from './renderAction.js';

/** The human line of a proposal, with the command that moves it on. */
export function proposedLine(response: ProposeResponse): string {
  const a = response.action!;
  const what = `${printable(`${a.actionType} on ${a.node}/${a.service}`)}, ${riskName(a.riskLevel)}`;
  if (a.status !== ActionStatus.ACTION_STATUS_PENDING) return `proposed ${a.actionId}: ${what}; ${statusName(a.status)}\n`;
  const needs = a.approvalsRequired > 1 ? `${a.approvalsRequired} approvals` : 'approval';
  return `proposed ${a.actionId}: ${what}; PENDING, it waits for ${needs}: actiongate approve ${a.actionId}\n`;
}

/** The note for stderr when the server kept a higher risk than `--risk` asked for; null when it did not. */
export function riskRaisedNote(asked: RiskLevel, action: Action): string | null {
  if (asked === RiskLevel.RISK_LEVEL_UNSPECIFIED || action.riskLevel <= asked) return null;
  return `note: you asked for --risk ${riskName(asked).toLowerCase()}, but ${printable(action.actionType)} is ${riskName(action.riskLevel)} in the server's catalog, so the action is ${riskName(action.riskLevel)}: a proposer may raise the risk, never lower it\n`;
}

/** After Approve: approved, or one approval of several recorded. */
export function approvedLine(a: Action): string {
  if (a.status !== ActionStatus.ACTION_STATUS_PENDING) return `approved ${a.actionId}: it is ${statusName(a.status)}\n`;
  const given = a.decisions.filter((d) => d.kind === DecisionKind.DECISION_KIND_APPROVE).length;
  return `approval recorded for ${a.actionId} (${given} of ${a.approvalsRequired}); it waits for another approver\n`;
}

/** After Pause, Resume or Terminate. */
export function controlledLine(verb: string, a: Action): string {
  const control = a.controlState <= ControlState.CONTROL_STATE_NONE ? '' : `, ${shortName(ControlState, a.controlState, 'CONTROL_STATE_')}`;
  return `${verb} ${a.actionId}: it is ${statusName(a.status)}${control}\n`;
}

function haltDescription(halt: HaltState | undefined): string {
  const signal = halt?.signal;
  if (signal === undefined) return '';
  const at = signal.issuedAt === undefined ? '' : ` at ${signal.issuedAt.toISOString()}`;
  return ` (by ${printable(signal.issuedBy)}${at}${signal.reason === '' ? '' : `: "${printable(signal.reason)}"`})`;
}

export function haltedLine(halt: HaltState | undefined, affected: readonly string[], terminateRunning: boolean, already: boolean): string {
  if (already) return `actiongate was already halted${haltDescription(halt)}; nothing changed. \`actiongate unhalt\` lifts it\n`;
  const running = `${affected.length} running action${affected.length === 1 ? '' : 's'} ${terminateRunning ? 'terminated' : 'paused'}`;
  return `halted: no approvals or claims until \`actiongate unhalt\`; ${running}\n`;
}

export function unhaltedLine(resumed: readonly string[], already: boolean): string {
  if (already) return 'actiongate is not halted; nothing changed\n';
  return `unhalted: approvals and claims go on; ${resumed.length} action${resumed.length === 1 ? '' : 's'} resumed\n`;
}

export function controlStateText(response: GetControlStateResponse, style: Style): string {
  const lines = [
    `Server:     actiongate ${response.serverVersion === '' ? '(version unknown)' : response.serverVersion}`,
    `Halted:     ${response.halt?.halted === true ? `yes${haltDescription(response.halt)}` : 'no'}`,
    `Executors:  ${response.subscribedExecutors.length === 0 ? 'none subscribed' : printable(response.subscribedExecutors.join(', '))}`,
  ];
  const action = response.action;
  if (action !== undefined) {
    lines.push(
      `Action:     ${action.actionId}, ${statusName(action.status)}, control ${shortName(ControlState, action.controlState, 'CONTROL_STATE_')}${action.pausedByHalt ? ' (by the halt)' : ''}`,
      `Executor:   ${action.executorId === '' ? '-' : printable(action.executorId)}`,
    );
    if (action.signals.length > 0) lines.push('Signals:', ...action.signals.map((s) => `  ${signalLine(s, style)}`));
    if (action.acknowledgements.length > 0) lines.push('Acknowledged:', ...action.acknowledgements.map((k) => `  #${k.sequence} by ${printable(k.executorId)}${k.acknowledgedAt === undefined ? '' : ` at ${k.acknowledgedAt.toISOString()}`}`));
  }
  return `${lines.join('\n')}\n`;
}
