import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../src/client/ControlClient.js';
import type { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { ActionStatus, ControlState } from '../../src/gen/actiongate/v1/action.js';
import type { TestServer } from '../support/testServer.js';
import { reaches, runningAction, startSubscribedServer, type SubscribedServer } from './support.js';

describe('terminate and pause through the SDK', () => {
  let t: TestServer;
  let control: ControlClient;
  let subscriber: ControlSubscriber;

  let server: SubscribedServer;

  beforeEach(async () => {
    server = await startSubscribedServer('exec-1');
    ({ t, control, subscriber } = server);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('aborts the running work and refuses a late Complete', async () => {
    const { actionId, leaseId } = await runningAction(t.actions, 'exec-1');
    const guard = subscriber.guard(actionId);
    await guard.checkpoint();
    const aborted = new Promise((resolve) => guard.signal.addEventListener('abort', () => resolve(guard.signal.reason)));
    await control.terminate(actionId, 'stop now');
    expect(await aborted).toBeInstanceOf(ActionTerminatedError);
    await expect(guard.checkpoint()).rejects.toBeInstanceOf(ActionTerminatedError);
    await expect(t.actions.complete({ actionId, leaseId })).rejects.toMatchObject({ code: status.ABORTED });
    const { action } = await t.actions.getAction({ actionId });
    expect(action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
  });

  it('blocks at the checkpoint while paused and continues on resume', async () => {
    const { actionId } = await runningAction(t.actions, 'exec-1');
    const guard = subscriber.guard(actionId);
    await control.pause(actionId, 'hold on');
    await reaches(guard.state$, 'PAUSED');
    let passed = false;
    const waiting = guard.checkpoint().then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(passed).toBe(false);
    await control.resume(actionId, 'go');
    await waiting;
    expect(passed).toBe(true);
    await control.terminate(actionId);
    await expect(control.pause(actionId)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(control.resume(actionId)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    const state = await control.getControlState(actionId);
    expect(state.action?.controlState).toBe(ControlState.CONTROL_STATE_TERMINATED);
  });
});
