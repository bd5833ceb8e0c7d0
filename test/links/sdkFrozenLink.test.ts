import { describe, expect, it } from 'vitest';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import type { ConnectionState } from '../../src/client/ControlSubscriber.js';
import { ExecutorSession } from '../../src/executor/ExecutorSession.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { sleep } from '../../src/shared/abortableWait.js';
import { approvedAction } from '../executor/support/executorFixture.js';
import type { FreezableProxy } from '../support/freezableProxy.js';
import { cleanupsAfterEach, startProxiedServer } from '../support/proxiedServer.js';
import type { TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

/** The kill switch's promise on a half-open link, with every setting at its default. */
const STOP_BOUND_MS = 30_000;

describe('a frozen link between an executor and the server (default settings)', () => {
  let t: TestServer;
  let proxy: FreezableProxy;
  const cleanups = cleanupsAfterEach();

  async function setUp(): Promise<void> {
    ({ t, proxy } = await startProxiedServer(cleanups));
  }

  it('stops the SDK work within 30 s of a terminate sent while the link is frozen', async () => {
    await setUp();
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const session = new ExecutorSession({ server: proxy.address, executorId: 'frozen-sdk' });
    cleanups.push(() => session.close());
    const connections: ConnectionState[] = [];
    const watched = session.subscriber.connection$.subscribe((state) => connections.push(state));
    cleanups.push(() => watched.unsubscribe());

    const action = await approvedAction(t.actions, 'redeploy_service');
    const claimed = await session.claim({ actionId: action.actionId, waitSeconds: 5 });
    expect(claimed).not.toBeNull();
    let steps = 0;
    let abortedAt: number | undefined;
    claimed!.signal.addEventListener('abort', () => (abortedAt = performance.now()));
    const outcome = claimed!.run(async ({ checkpoint, signal }) => {
      for (;;) {
        await checkpoint();
        steps += 1;
        await sleep(200, signal);
      }
    });
    await waitFor(() => steps, (n) => n >= 2, { what: 'the handler to make progress' });

    proxy.freeze();
    const connectionsBefore = proxy.accepted;
    await control.terminate(action.actionId, 'sent while the link is frozen');
    const terminatedAt = performance.now();
    // Nothing reaches the executor over the frozen link: it still believes its stream is live.
    expect(session.subscriber.connection$.value).toBe('live');

    const result = await outcome;
    const tookMs = performance.now() - terminatedAt;
    expect(result.kind).toBe('stopped');
    expect(claimed!.signal.aborted).toBe(true);
    expect(claimed!.signal.reason).toBeInstanceOf(ActionTerminatedError);
    expect(abortedAt! - terminatedAt).toBeLessThan(STOP_BOUND_MS);
    // Keepalive found the link dead (the stream broke; the heartbeat or the new snapshot,
    // whichever came first, carried the terminate), not a lease running out; the stream comes back.
    expect(connections.indexOf('backoff')).toBeGreaterThan(connections.indexOf('live'));
    expect(proxy.accepted).toBeGreaterThan(connectionsBefore);
    await session.ready();
    const { action: final } = await t.actions.getAction({ actionId: action.actionId });
    expect(final!.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    console.info(`frozen link: SDK work stopped ${(tookMs / 1000).toFixed(1)} s after the terminate`);
  });
});
