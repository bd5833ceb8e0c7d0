import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ActionStatus, ControlState } from '../../src/gen/actiongate/v1/action.js';
import { uniqueNode } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startExecutor, type ChildExecutor, type LogEntry } from './support/childExecutor.js';
import { approvedAction, scratchDir, stopExecutors, waitForStatus } from './support/executorFixture.js';

const STEP_DELAY_MS = 300;

describe('actiongate executor: pause, resume, terminate and halt', () => {
  let t: TestServer;
  let control: ControlClient;
  let scratch: ReturnType<typeof scratchDir>;

  beforeEach(async () => {
    t = await startTestServer();
    control = new ControlClient(t.address);
    scratch = scratchDir();
  });
  afterEach(async () => {
    await stopExecutors();
    control.close();
    await t.stop();
    scratch.cleanup();
  });

  /** An executor whose redeploy_service simulation takes five steps, STEP_DELAY_MS apart. */
  function slowSimulation(executorId: string, extra: readonly string[] = []): Promise<ChildExecutor> {
    const file = scratch.file('handlers.json', JSON.stringify({ redeploy_service: { simulate: { stepDelayMs: STEP_DELAY_MS } } }));
    return startExecutor(t.address, executorId, ['--handlers', file, ...extra]);
  }

  const indexOf = (executor: ChildExecutor, entry: LogEntry): number => executor.logs.indexOf(entry);

  it('blocks at the next checkpoint while paused, keeps the lease, and completes after resume', async () => {
    const executor = await slowSimulation('pause-1', ['--lease-ttl-seconds', '3']);
    const action = await approvedAction(t.actions, 'redeploy_service');
    const id = action.actionId;
    await executor.waitForLog({ msg: 'simulated step', actionId: id, step: 1 });

    await control.pause(id, 'look first');
    const blocked = await executor.waitForLog({ msg: 'paused: waiting at checkpoint', actionId: id });
    const stepsBefore = executor.find({ msg: 'simulated step', actionId: id }).length;
    expect(stepsBefore).toBeLessThan(5);
    const paused = (await t.actions.getAction({ actionId: id })).action!;
    expect(paused.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
    expect(paused.controlState).toBe(ControlState.CONTROL_STATE_PAUSED);
    // Heartbeats go on while paused: the lease is extended past where it stood.
    const expiresAt = paused.lease!.leaseExpiresAt!.getTime();
    await waitFor(
      async () => (await t.actions.getAction({ actionId: id })).action!,
      (a) => a.lease !== undefined && a.lease.leaseExpiresAt!.getTime() > expiresAt,
      { what: 'a heartbeat to extend the lease while paused' },
    );
    expect(executor.find({ msg: 'simulated step', actionId: id }).length).toBe(stepsBefore);

    await control.resume(id, 'carry on');
    const resumed = await executor.waitForLog({ msg: 'resumed: leaving checkpoint', actionId: id });
    const done = await waitForStatus(t.actions, id, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result?.simulated).toBe(true);
    const steps = executor.find({ msg: 'simulated step', actionId: id });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    // The first step after the pause came only after the resume, and nothing ran in between.
    expect(indexOf(executor, steps[stepsBefore]!)).toBeGreaterThan(indexOf(executor, resumed));
    expect(indexOf(executor, steps[stepsBefore - 1]!)).toBeLessThan(indexOf(executor, blocked));
  });

  it('stops an action terminated while paused at a checkpoint, without completing it', async () => {
    const executor = await slowSimulation('pause-2');
    const action = await approvedAction(t.actions, 'redeploy_service');
    const id = action.actionId;
    await executor.waitForLog({ msg: 'simulated step', actionId: id, step: 1 });
    await control.pause(id, 'hold');
    await executor.waitForLog({ msg: 'paused: waiting at checkpoint', actionId: id });

    await control.terminate(id, 'abandon it');
    await executor.waitForLog({ msg: 'action terminated; stopped without completing it', actionId: id });
    const final = (await t.actions.getAction({ actionId: id })).action!;
    expect(final.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    expect(executor.find({ msg: 'action completed', actionId: id })).toEqual([]);
    expect(executor.find({ msg: 'resumed: leaving checkpoint', actionId: id })).toEqual([]);
    await expectGrpcError(control.resume(id), status.FAILED_PRECONDITION);
    await expectGrpcError(control.pause(id), status.FAILED_PRECONDITION);
  });

  it('claims nothing while halted, pauses what runs, and carries on after unhalt', async () => {
    const executor = await slowSimulation('halt-1', ['--concurrency', '2', '--log-level', 'debug']);
    const running = await approvedAction(t.actions, 'redeploy_service');
    await executor.waitForLog({ msg: 'simulated step', actionId: running.actionId, step: 1 });
    // An approved action kept unclaimable by a pause, so it exists through the halt (Approve is refused while halted).
    const { action: waiting } = await t.actions.propose({ actionType: 'rerun_healthcheck', node: uniqueNode(), service: 'api', confidence: 0.9 });
    await control.pause(waiting!.actionId, 'not yet');
    await t.actions.approve({ actionId: waiting!.actionId, reason: 'later' });

    await control.halt('incident in progress');
    const stopped = await executor.waitForLog({ msg: 'claiming paused', reason: 'halted' });
    await executor.waitForLog({ msg: 'paused: waiting at checkpoint', actionId: running.actionId });
    // Lifting the action's own pause wakes any claim waiting on the server; the halt must still hold it back.
    await control.resume(waiting!.actionId, 'ready, but halted');
    await waitFor(() => control.getControlState(), (s) => s.halt!.acknowledgements.some((a) => a.executorId === 'halt-1'), { what: 'the executor to acknowledge the halt' });
    expect((await t.actions.getAction({ actionId: waiting!.actionId })).action!.status).toBe(ActionStatus.ACTION_STATUS_APPROVED);

    const { halt } = await control.unhalt('incident over');
    const unhaltedAt = halt!.signal!.issuedAt!.getTime();
    const restarted = await executor.waitForLog({ msg: 'claiming resumed' }, { from: indexOf(executor, stopped) });
    const claimed = await waitForStatus(t.actions, waiting!.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    await waitForStatus(t.actions, running.actionId, ActionStatus.ACTION_STATUS_COMPLETED);

    const claim = claimed.history.find((h) => h.to === ActionStatus.ACTION_STATUS_RUNNING)!;
    expect(claim.at!.getTime()).toBeGreaterThanOrEqual(unhaltedAt);
    expect(claimed.attempt).toBe(1);
    const during = executor.logs.slice(indexOf(executor, stopped) + 1, indexOf(executor, restarted));
    expect(during.filter((e) => e.msg === 'claim poll' || e.msg === 'action claimed')).toEqual([]);
    expect(executor.find({ msg: 'simulated step', actionId: running.actionId }).map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('starts paused when the snapshot says halted, and starts claiming at unhalt', async () => {
    await control.halt('maintenance');
    const executor = await startExecutor(t.address, 'halt-2');
    const paused = await executor.waitForLog({ msg: 'claiming paused', reason: 'halted' });
    expect(executor.find({ msg: 'control signal', signal: 'HALT', snapshot: true })).toHaveLength(1);
    await control.unhalt('done');
    await executor.waitForLog({ msg: 'claiming resumed' }, { from: executor.logs.indexOf(paused) });
    const action = await approvedAction(t.actions, 'rerun_healthcheck');
    await waitForStatus(t.actions, action.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
  });
});
