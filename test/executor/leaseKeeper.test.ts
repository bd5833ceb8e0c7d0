import { pino } from 'pino';
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { LocalControlState, type RunState } from '../../src/client/LocalControlState.js';
import { LeaseKeeper } from '../../src/executor/LeaseKeeper.js';
import { actionIn } from '../support/actionFactory.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

/** Heartbeats alone, with no control stream: what the executor falls back on when the stream is down. */
describe('LeaseKeeper against a real server', () => {
  let t: TestServer;
  let control: ControlClient;
  const keepers: LeaseKeeper[] = [];
  const log = pino({ level: 'silent' });

  beforeEach(async () => {
    t = await startTestServer();
    control = new ControlClient(t.address);
  });
  afterEach(async () => {
    await Promise.all(keepers.splice(0).map((k) => k.stop()));
    control.close();
    await t.stop();
  });

  async function kept(leaseTtlMs = 600, actions: ActionClient = t.actions): Promise<{ actionId: string; state: LocalControlState }> {
    const { action, leaseId } = await actionIn(t.actions, 'RUNNING');
    const state = new LocalControlState();
    const keeper = new LeaseKeeper({ actions, state, actionId: action.actionId, leaseId, leaseTtlMs, log });
    keepers.push(keeper);
    keeper.start();
    return { actionId: action.actionId, state };
  }

  const reaches = (state: LocalControlState, actionId: string, run: RunState): Promise<RunState> =>
    firstValueFrom(state.runState$(actionId).pipe(filter((s) => s === run)));

  it('learns a pause and a resume from heartbeat replies', async () => {
    const { actionId, state } = await kept();
    await control.pause(actionId, 'hold');
    await reaches(state, actionId, 'PAUSED');
    expect(state.hold$(actionId).value.sequence).toBeGreaterThan(0);
    await control.resume(actionId, 'go');
    await reaches(state, actionId, 'RUNNING');
  });

  it('learns a halt from heartbeat replies', async () => {
    const { actionId, state } = await kept();
    await control.halt('stop everything');
    await reaches(state, actionId, 'PAUSED');
    expect(state.halt$.value.halted).toBe(true);
    await control.unhalt('ok');
  });

  it('revokes the action when a heartbeat says the lease is gone (terminated)', async () => {
    const { actionId, state } = await kept();
    await control.terminate(actionId, 'no');
    await reaches(state, actionId, 'TERMINATED');
    expect(state.hold$(actionId).value.reason).toMatch(/lease lost: .*TERMINATED/);
  });

  it('revokes the action once the lease lapses while the server cannot be reached', async () => {
    const unreachable = new ActionClient('127.0.0.1:1');
    try {
      const { actionId, state } = await kept(600, unreachable);
      await reaches(state, actionId, 'TERMINATED');
      expect(state.hold$(actionId).value.reason).toBe('lease lapsed while the server was unreachable');
    } finally {
      unreachable.close();
    }
  });
});
