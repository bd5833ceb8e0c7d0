import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { Signal, type SubscribeResponse } from '../../src/gen/actiongate/v1/control_service.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

describe('a slow subscriber', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.stop();
  });

  it('does not delay a fast one, and is cut off with RESOURCE_EXHAUSTED once its buffer is full', async () => {
    t = await startTestServer({ controlBufferLimit: 32 });
    const fastClient = new ControlClient(t.address);
    const slowClient = new ControlClient(t.address);
    const operator = new ControlClient(t.address);

    let fastLive = 0;
    const fast = fastClient.subscribe('fast');
    fast.on('data', (m: SubscribeResponse) => {
      if (!m.signal!.snapshot && m.signal!.signal !== Signal.SIGNAL_SNAPSHOT_COMPLETE) fastLive += 1;
    });
    let slowReceived = 0;
    let slowReady = false;
    const slow = slowClient.subscribe('slow');
    slow.on('data', (m: SubscribeResponse) => {
      slowReceived += 1;
      // Stop reading after the snapshot: from here on the server's writes to it back up.
      if (m.signal!.signal === Signal.SIGNAL_SNAPSHOT_COMPLETE) {
        slowReady = true;
        slow.pause();
      }
    });
    const slowStatus = new Promise<number>((resolve) => slow.on('error', (err: { code: number }) => resolve(err.code)));
    fast.on('error', () => {});
    await waitFor(() => slowReady, (ready) => ready, { timeoutMs: 5000, what: 'the slow subscriber to get its snapshot' });
    const readBeforeFlood = slowReceived;

    // HALT and UNHALT go to every subscriber: enough of them to fill HTTP/2's window and the server's buffer.
    const rounds = 1500;
    for (let i = 0; i < rounds; i += 1) {
      await operator.halt(`round ${i}`);
      await operator.unhalt(`round ${i}`);
    }
    await waitFor(() => fastLive, (n) => n === rounds * 2, { timeoutMs: 15_000, what: 'the fast subscriber to receive every signal' });
    expect(slowReceived).toBe(readBeforeFlood);

    slow.resume();
    expect(await slowStatus).toBe(status.RESOURCE_EXHAUSTED);
    fast.cancel();
    fastClient.close();
    slowClient.close();
    operator.close();
  });
});
