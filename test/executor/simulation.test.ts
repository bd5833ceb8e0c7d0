import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { startExecutor } from './support/childExecutor.js';
import { approvedAction, stopExecutors, waitForStatus } from './support/executorFixture.js';

describe('actiongate executor: simulation mode and filters', () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await stopExecutors();
    await t.stop();
  });

  it('completes an approved action in simulation mode, changing nothing, and says so in the result', async () => {
    const executor = await startExecutor(t.address, 'sim-1');
    const action = await approvedAction(t.actions, 'redeploy_service');
    const done = await waitForStatus(t.actions, action.actionId, ActionStatus.ACTION_STATUS_COMPLETED);

    expect(done.result).toMatchObject({ simulated: true, actionType: 'redeploy_service', node: action.node, service: 'api' });
    const wouldHave = done.result!.wouldHave as string[];
    expect(wouldHave.length).toBeGreaterThanOrEqual(3);
    expect(wouldHave.join('\n')).toContain(`deploy the current release of api to node ${action.node}`);
    const steps = executor.find({ msg: 'simulated step', actionId: action.actionId });
    expect(steps.map((s) => s.wouldDo)).toEqual(wouldHave);
    expect(steps.every((s) => s.simulated === true && s.executorId === 'sim-1')).toBe(true);
    await executor.waitForLog({ msg: 'action completed', actionId: action.actionId, from: 'RUNNING', to: 'COMPLETED', simulated: true });
    expect(done.lease).toBeUndefined();
    expect(done.history.map((h) => h.reason)).toContain('completed by sim-1');
  });

  it('claims only the action types given with --action-types', async () => {
    // The older action is of the type the executor must leave alone: without the filter it would be claimed first.
    const ignored = await approvedAction(t.actions, 'collect_diagnostics');
    const wanted = await approvedAction(t.actions, 'rerun_healthcheck');
    const executor = await startExecutor(t.address, 'filter-1', ['--action-types', 'rerun_healthcheck']);
    const ready = executor.find({ msg: 'executor starting' })[0]!;
    expect(ready.actionTypes).toEqual(['rerun_healthcheck']);

    await waitForStatus(t.actions, wanted.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    const { action } = await t.actions.getAction({ actionId: ignored.actionId });
    expect(action?.status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
    expect(action?.attempt).toBe(0);
    expect(executor.find({ actionId: ignored.actionId })).toEqual([]);
  });

  it('refuses to start with an action type it has no handler for', async () => {
    const executor = await startExecutor(t.address, 'filter-2', ['--action-types', 'rerun_healthcheck,restart_database'], { waitReady: false });
    const status = await executor.exited;
    await executor.stop();
    // A usage mistake: exit 2, as for every command.
    expect(status.code).toBe(2);
    expect(executor.output()).toContain('--action-types: no handler for restart_database');
  });
});
