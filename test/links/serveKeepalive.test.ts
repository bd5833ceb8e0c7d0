import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { startFreezableProxy } from '../support/freezableProxy.js';
import { tempDataDir } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { rmSync } from 'node:fs';

describe('a frozen subscriber leaves subscribed_executors (actiongate serve --keepalive-time-ms --keepalive-timeout-ms)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('pings at the rate asked for and drops a silent peer after the timeout', async () => {
    const dataDir = tempDataDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const server: ChildServer = await startChildServer(dataDir, ['--keepalive-time-ms', '500', '--keepalive-timeout-ms', '500']);
    cleanups.push(() => server.stop());
    const proxy = await startFreezableProxy(server.address);
    cleanups.push(() => proxy.close());
    const control = new ControlClient(server.address);
    cleanups.push(() => control.close());
    const silent = new ControlClient(proxy.address, { keepaliveTimeMs: 0 });
    const subscriber = new ControlSubscriber(silent, 'silent-peer');
    cleanups.push(async () => {
      await subscriber.stop();
      silent.close();
    });
    subscriber.start();
    await subscriber.waitUntilLive();
    expect((await control.getControlState()).subscribedExecutors).toEqual(['silent-peer']);

    proxy.freeze();
    await waitFor(() => control.getControlState(), (s) => s.subscribedExecutors.length === 0, { timeoutMs: 10_000, intervalMs: 100, what: 'the silent peer to be dropped' });
    expect(subscriber.connection$.value).toBe('live');
  });
});
