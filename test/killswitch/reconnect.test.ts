import { afterEach, describe, expect, it } from 'vitest';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/client/backoff.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { Signal } from '../../src/gen/actiongate/v1/control_service.js';
import { waitFor } from '../support/waitFor.js';
import { reaches, readSnapshot, runningAction } from './support.js';

const FAST = { ...DEFAULT_BACKOFF, initialMs: 20, maxMs: 200, jitter: 0 };

describe('backoff', () => {
  it('without jitter is 1, 2, 4, 8, 16, 32, 32 seconds', () => {
    const schedule = [0, 1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { ...DEFAULT_BACKOFF, jitter: 0 }));
    expect(schedule).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 32000]);
  });

  it('with jitter stays within 20% of the schedule', () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(6400);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 1)).toBe(9600);
    expect(backoffDelay(10, DEFAULT_BACKOFF, () => 1)).toBe(38400);
  });
});

describe('signals across disconnects and restarts', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function subscribed(address: string, executorId: string): Promise<ControlSubscriber> {
    const client = new ControlClient(address);
    const subscriber = new ControlSubscriber(client, executorId, { backoff: FAST });
    cleanups.push(async () => {
      await subscriber.stop();
      client.close();
    });
    subscriber.start();
    await subscriber.waitUntilLive();
    return subscriber;
  }

  it('delivers a terminate issued while the executor was away in the snapshot, and records its ack', async () => {
    const t: TestServer = await startTestServer();
    cleanups.push(() => t.stop());
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const { actionId } = await runningAction(t.actions, 'exec-away');
    const first = await subscribed(t.address, 'exec-away');
    await first.stop();

    const { signal } = await control.terminate(actionId, 'while away');
    const second = await subscribed(t.address, 'exec-away');
    const guard = second.guard(actionId);
    expect(guard.state).toBe('TERMINATED');
    expect(guard.signal.reason).toBeInstanceOf(ActionTerminatedError);
    await expect(guard.checkpoint()).rejects.toBeInstanceOf(ActionTerminatedError);

    await waitFor(
      () => control.getControlState(actionId),
      (state) => state.action!.acknowledgements.some((a) => a.executorId === 'exec-away' && a.sequence === signal!.sequence),
      { timeoutMs: 5000, what: 'the terminate to be acknowledged' },
    );
    // Acknowledged: the next snapshot for that executor no longer carries the terminated action.
    const snapshot = await readSnapshot(control, 'exec-away');
    expect(snapshot.map((s) => s.actionId)).not.toContain(actionId);
    expect(snapshot.at(-1)?.signal).toBe(Signal.SIGNAL_SNAPSHOT_COMPLETE);
  });

  it('reconnects with backoff after a server restart and sees every signal', async () => {
    const dataDir = tempDataDir();
    const first = await startTestServer({}, dataDir);
    const port = first.server.port;
    const { actionId } = await runningAction(first.actions, 'exec-r');
    const control1 = new ControlClient(first.address);
    const subscriber = await subscribed(first.address, 'exec-r');
    const guard = subscriber.guard(actionId);

    const paused = await control1.pause(actionId, 'before restart');
    await reaches(guard.state$, 'PAUSED');
    control1.close();
    first.actions.close();
    await first.server.shutdown();
    await waitFor(() => subscriber.connection$.value, (c) => c === 'backoff' || c === 'connecting', { timeoutMs: 5000, what: 'a disconnect' });

    const second = await startTestServer({ listen: `127.0.0.1:${port}` }, dataDir);
    cleanups.push(() => second.stop());
    const control2 = new ControlClient(second.address);
    cleanups.push(() => control2.close());
    await waitFor(() => subscriber.connection$.value, (c) => c === 'live', { timeoutMs: 10_000, what: 'the subscriber to reconnect' });
    expect(guard.state).toBe('PAUSED');

    const resumed = await control2.resume(actionId, 'after restart');
    expect(Number(resumed.signal!.sequence)).toBeGreaterThan(Number(paused.signal!.sequence));
    await reaches(guard.state$, 'RUNNING');
    await control2.terminate(actionId, 'done');
    await reaches(guard.state$, 'TERMINATED');
  });
});
