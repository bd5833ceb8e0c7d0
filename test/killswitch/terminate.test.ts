import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

describe('terminate and pause through the SDK', () => {
  let t: TestServer;
  let control: ControlClient;
  let subscriber: ControlSubscriber;

  beforeEach(async () => {
    t = await startTestServer();
    control = new ControlClient(t.address);
    subscriber = new ControlSubscriber(control, 'exec-1');
    subscriber.start();
    await subscriber.waitUntilLive();
  });
  afterEach(async () => {
    await subscriber.stop();
    control.close();
    await t.stop();
  });

  async function running(): Promise<{ actionId: string; leaseId: string }> {
    const { action } = await t.actions.propose({ actionType: 'collect_diagnostics', node: 'n1', service: 'api', confidence: 0.5 });
    await t.actions.approve({ actionId: action!.actionId });
    const claimed = await t.actions.execute({ executorId: 'exec-1', actionId: action!.actionId });
    return { actionId: action!.actionId, leaseId: claimed.leaseId };
  }

  it('aborts the running work and refuses a late Complete', async () => {
    const { actionId, leaseId } = await running();
    const guard = subscriber.guard(actionId);
    await guard.checkpoint();
    const aborted = new Promise((resolve) => guard.signal.addEventListener('abort', () => resolve(guard.signal.reason)));
    await control.terminate(actionId, 'stop now');
    expect(await aborted).toBeInstanceOf(ActionTerminatedError);
    await expect(guard.checkpoint()).rejects.toBeInstanceOf(ActionTerminatedError);
    await expect(t.actions.complete({ actionId, leaseId })).rejects.toMatchObject({ code: 10 });
    const { action } = await t.actions.getAction({ actionId });
    expect(action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
  });

  it('blocks at the checkpoint while paused and continues on resume', async () => {
    const { actionId } = await running();
    const guard = subscriber.guard(actionId);
    await control.pause(actionId, 'hold on');
    await new Promise<void>((resolve) => guard.state$.subscribe((s) => s === 'PAUSED' && resolve()));
    let passed = false;
    const waiting = guard.checkpoint().then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(passed).toBe(false);
    await control.resume(actionId, 'go');
    await waiting;
    expect(passed).toBe(true);
    await control.terminate(actionId);
    await expect(control.pause(actionId)).rejects.toMatchObject({ code: 9 });
    await expect(control.resume(actionId)).rejects.toMatchObject({ code: 9 });
    const state = await control.getControlState(actionId);
    expect(state.action?.controlState).toBe(3);
  });
});
