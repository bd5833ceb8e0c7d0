import { afterEach, describe, expect, it } from 'vitest';
import { proposeAction } from '../support/actionFactory.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { tempDataDir } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startWebhookReceiver } from './webhookReceiver.js';

describe('webhook notifications across a restart', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)('delivers every message queued while the receiver was down, after a %s and a restart', async (signal) => {
    const hook = await startWebhookReceiver('fail');
    cleanups.push(() => hook.close());
    const dataDir = tempDataDir();
    const args = ['--notify-webhook', hook.url];
    const first: ChildServer = await startChildServer(dataDir, args);
    cleanups.push(() => first.stop());
    const client = first.client();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await proposeAction(client)).actionId);
    // The receiver has refused at least one message: all three are in the outbox, none delivered.
    await waitFor(() => hook.attempts.length, (n) => n >= 1, { what: 'a refused delivery' });
    await first.kill(signal);
    expect(hook.delivered).toHaveLength(0);

    hook.mode = 'ok';
    const second = await startChildServer(dataDir, args);
    cleanups.push(() => second.stop());
    await waitFor(
      () => new Set(hook.delivered.map((m) => m.action?.actionId)),
      (seen) => ids.every((id) => seen.has(id)),
      { what: 'each queued message to arrive after the restart', timeoutMs: 40_000 },
    );
    for (const message of hook.delivered) expect(message.kind).toBe('pending');
    // The server never logs the webhook's path or query, where its secret lives.
    expect(first.output() + second.output()).not.toContain('secret-part');
    expect(first.output() + second.output()).not.toContain('also-secret');
  });
});
