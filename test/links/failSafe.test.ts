import { describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { DEFAULT_BACKOFF } from '../../src/client/backoff.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ClaimedAction } from '../../src/executor/ClaimedAction.js';
import { ExecutorSession } from '../../src/executor/ExecutorSession.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { sleep } from '../../src/shared/abortableWait.js';
import { reaches } from '../killswitch/support.js';
import { approvedAction } from '../executor/support/executorFixture.js';
import type { FreezableProxy } from '../support/freezableProxy.js';
import { cleanupsAfterEach, startProxiedServer } from '../support/proxiedServer.js';
import type { TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

/** Finds a dead link within about two seconds, so the tests need not wait out the defaults. */
const QUICK_KEEPALIVE = { keepaliveTimeMs: 1000, keepaliveTimeoutMs: 1000 };
const FAST_BACKOFF = { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 500 };

describe('fail-safe while the control stream is down', () => {
  let t: TestServer;
  let proxy: FreezableProxy;
  const cleanups = cleanupsAfterEach();

  async function setUp(): Promise<void> {
    ({ t, proxy } = await startProxiedServer(cleanups));
  }

  it('holds running work at its next checkpoint once the stream is lost for the grace, and resumes after the snapshot', async () => {
    await setUp();
    // Heartbeats go straight to the server; only the control stream crosses the proxy.
    const actions = new ActionClient(t.address);
    const control = new ControlClient(proxy.address, QUICK_KEEPALIVE);
    const subscriber = new ControlSubscriber(control, 'fail-safe-1', { backoff: FAST_BACKOFF });
    cleanups.push(async () => {
      await subscriber.stop();
      control.close();
      actions.close();
    });
    const events: string[] = [];
    const watched = subscriber.connection$.subscribe((state) => events.push(`connection:${state}`));
    cleanups.push(() => watched.unsubscribe());
    subscriber.start();
    await subscriber.waitUntilLive();

    const action = await approvedAction(t.actions, 'redeploy_service');
    const reply = await actions.execute({ executorId: 'fail-safe-1', actionId: action.actionId, leaseTtlSeconds: 3 });
    // A 3 s lease: heartbeats every second, and the grace is one heartbeat interval.
    const claimed = new ClaimedAction({ ...reply, action: reply.action! }, { actions, subscriber });
    let entered = 0;
    let passed = 0;
    let finish = false;
    const outcome = claimed.run(async ({ checkpoint, signal }) => {
      while (!finish) {
        entered += 1;
        await checkpoint();
        passed += 1;
        events.push(`step:${passed}`);
        await sleep(100, signal);
      }
      return { steps: passed };
    });
    await waitFor(() => passed, (n) => n >= 3, { what: 'the handler to make progress' });

    proxy.cutOff();
    await reaches(claimed.guard.state$, 'DISCONNECTED');
    expect(subscriber.connection$.value).not.toBe('live');
    // The handler reaches its next checkpoint and stays there.
    await waitFor(() => entered - passed, (waiting) => waiting === 1, { what: 'the handler to wait at its checkpoint' });
    const held = passed;
    const holdStart = events.length;
    // The lease is still kept meanwhile: heartbeats extend it past where it stood.
    const before = (await t.actions.getAction({ actionId: action.actionId })).action!.lease!.leaseExpiresAt!.getTime();
    await waitFor(
      async () => (await t.actions.getAction({ actionId: action.actionId })).action!,
      (a) => a.lease !== undefined && a.lease.leaseExpiresAt!.getTime() > before,
      { what: 'a heartbeat to extend the lease while held' },
    );
    expect(passed).toBe(held);
    expect(claimed.guard.state).toBe('DISCONNECTED');

    proxy.heal();
    await reaches(claimed.guard.state$, 'RUNNING');
    await waitFor(() => passed, (n) => n > held, { what: 'the handler to pass its checkpoint again' });
    // Nothing ran between the hold and the stream being live again (its snapshot applied).
    const sinceHold = events.slice(holdStart);
    expect(sinceHold.findIndex((e) => e.startsWith('step:'))).toBeGreaterThan(sinceHold.indexOf('connection:live'));
    expect(sinceHold.indexOf('connection:live')).toBeGreaterThanOrEqual(0);

    finish = true;
    const result = await outcome;
    expect(result).toMatchObject({ kind: 'completed', reported: true });
    const { action: final } = await t.actions.getAction({ actionId: action.actionId });
    expect(final!.status).toBe(ActionStatus.ACTION_STATUS_COMPLETED);
  });

  it('stops the work by its own clock when the lease lapses with the server unreachable', async () => {
    await setUp();
    // A long grace, so only the lease can stop the work here.
    const session = new ExecutorSession({ server: proxy.address, executorId: 'fail-safe-2', client: QUICK_KEEPALIVE, subscriber: { backoff: FAST_BACKOFF, disconnectGraceMs: 600_000 } });
    cleanups.push(() => session.close());
    const action = await approvedAction(t.actions, 'redeploy_service');
    const claimed = (await session.claim({ actionId: action.actionId, leaseTtlSeconds: 3, waitSeconds: 5 }))!;
    let started = false;
    let stoppedAt: number | undefined;
    claimed.signal.addEventListener('abort', () => (stoppedAt = Date.now()));
    const outcome = claimed.run(async ({ checkpoint, signal }) => {
      await checkpoint();
      started = true;
      await sleep(600_000, signal);
      return {};
    });
    await waitFor(() => started, (s) => s, { what: 'the handler to start' });

    proxy.cutOff();
    const result = await outcome;
    expect(result).toEqual({ kind: 'stopped', reason: 'action ' + action.actionId + ' was terminated: lease lapsed while the server was unreachable' });
    // The server still holds the lease for it: the work stopped before the server could give
    // the action to another executor, without having heard from the server.
    const { action: seen } = await t.actions.getAction({ actionId: action.actionId });
    expect(seen!.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
    expect(stoppedAt!).toBeLessThanOrEqual(seen!.lease!.leaseExpiresAt!.getTime());
    expect(session.subscriber.connection$.value).not.toBe('live');
  });
});
