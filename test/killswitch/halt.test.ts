import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../src/client/ControlClient.js';
import type { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ActionStatus, ControlState } from '../../src/gen/actiongate/v1/action.js';
import { Signal } from '../../src/gen/actiongate/v1/control_service.js';
import type { TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { reaches, readSnapshot, runningAction, startSubscribedServer, type SubscribedServer } from './support.js';

describe('halt', () => {
  let t: TestServer;
  let control: ControlClient;
  let subscriber: ControlSubscriber;

  let server: SubscribedServer;

  beforeEach(async () => {
    server = await startSubscribedServer('exec-h');
    ({ t, control, subscriber } = server);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('refuses claims and approvals until unhalt, pauses running work, and unhalt resumes only what it paused', async () => {
    const a = await runningAction(t.actions, 'exec-h');
    const b = await runningAction(t.actions, 'exec-h');
    await control.pause(b.actionId, 'held one by one');
    const { action: pending } = await t.actions.propose({ actionType: 'rerun_healthcheck', node: 'n2', service: 'db' });
    const { action: approved } = await t.actions.propose({ actionType: 'rerun_healthcheck', node: 'n2', service: 'db' });
    await t.actions.approve({ actionId: approved!.actionId });

    const halted = await control.halt('incident 42');
    expect(halted.affectedActionIds).toEqual([a.actionId]);
    const guardA = subscriber.guard(a.actionId);
    await reaches(guardA.state$, 'PAUSED');

    await expect(t.actions.approve({ actionId: pending!.actionId })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringContaining('halted') });
    await expect(t.actions.execute({ executorId: 'exec-h' })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(t.actions.execute({ executorId: 'exec-h', actionId: approved!.actionId })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(control.halt('again')).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });

    // The heartbeat reply carries the halt too.
    const beat = await t.actions.heartbeat({ actionId: a.actionId, leaseId: a.leaseId });
    expect(beat.halted).toBe(true);
    expect(beat.controlState).toBe(ControlState.CONTROL_STATE_PAUSED);

    const state = await control.getControlState(a.actionId);
    expect(state.halt?.halted).toBe(true);
    expect(state.action?.pausedByHalt).toBe(true);
    await waitFor(
      () => control.getControlState(),
      (s) => s.halt!.acknowledgements.some((ack) => ack.executorId === 'exec-h' && ack.signal === Signal.SIGNAL_HALT),
      { timeoutMs: 5000, what: 'the halt to be acknowledged' },
    );

    const unhalted = await control.unhalt('incident over');
    expect(unhalted.resumedActionIds).toEqual([a.actionId]);
    await reaches(guardA.state$, 'RUNNING');
    expect(subscriber.guard(b.actionId).state).toBe('PAUSED');
    const after = await t.actions.getAction({ actionId: b.actionId });
    expect(after.action?.controlState).toBe(ControlState.CONTROL_STATE_PAUSED);
    await t.actions.approve({ actionId: pending!.actionId });
    const claimed = await t.actions.execute({ executorId: 'exec-h', actionId: approved!.actionId });
    expect(claimed.action?.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
  });

  it('with terminate_running terminates what runs, for good', async () => {
    const a = await runningAction(t.actions, 'exec-h');
    const guard = subscriber.guard(a.actionId);
    const halted = await control.halt('stop everything', true);
    expect(halted.affectedActionIds).toEqual([a.actionId]);
    await reaches(guard.state$, 'TERMINATED');
    expect(guard.signal.aborted).toBe(true);
    await control.unhalt('over');
    const { action } = await t.actions.getAction({ actionId: a.actionId });
    expect(action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    await expect(t.actions.complete({ actionId: a.actionId, leaseId: a.leaseId })).rejects.toMatchObject({ code: status.ABORTED });
    expect(guard.state).toBe('TERMINATED');
  });

  it('a snapshot carries the halt to an executor that connects later', async () => {
    await control.halt('maintenance');
    const snapshot = await readSnapshot(control, 'exec-late');
    expect(snapshot.map((s) => s.signal)).toEqual([Signal.SIGNAL_HALT, Signal.SIGNAL_SNAPSHOT_COMPLETE]);
    expect(snapshot[0]!.snapshot).toBe(true);
    expect(snapshot[0]!.reason).toBe('maintenance');
    await control.unhalt('done');
    const later = await readSnapshot(control, 'exec-late');
    expect(later[0]!.signal).toBe(Signal.SIGNAL_UNHALT);
  });
});
