import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { proposeAction } from '../support/actionFactory.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { freshDatabase } from '../support/postgres.js';
import { tempDataDir } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startWebhookReceiver } from './webhookReceiver.js';

async function undelivered(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM notification_outbox');
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe('webhook notifications from replicas on PostgreSQL', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('two `actiongate serve --database-url` replicas deliver each notification once, and log the store without a data directory', async () => {
    const database = await freshDatabase();
    cleanups.push(() => database.drop());
    const hook = await startWebhookReceiver();
    cleanups.push(() => hook.close());
    const replicas: ChildServer[] = [];
    for (let i = 0; i < 2; i += 1) {
      const dataDir = tempDataDir();
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const replica = await startChildServer(dataDir, ['--database-url', database.url, '--notify-webhook', hook.url, '--log-level', 'info']);
      cleanups.push(() => replica.stop());
      replicas.push(replica);
    }

    const proposed = await Promise.all(Array.from({ length: 10 }, (_, i) => proposeAction(replicas[i % 2]!.client())));
    const control = new ControlClient(replicas[1]!.address);
    cleanups.push(() => control.close());
    await control.halt('incident 42');

    await waitFor(() => undelivered(database.url), (n) => n === 0 && hook.delivered.length >= 11, { what: 'every notification delivered', timeoutMs: 30_000 });
    // The outbox is empty, so no replica holds a message it might still send: these are all the deliveries.
    const pendingIds = hook.delivered.filter((m) => m.kind === 'pending').map((m) => m.action!.actionId);
    expect(pendingIds.sort()).toEqual(proposed.map((a) => a.actionId).sort());
    expect(hook.delivered.filter((m) => m.kind !== 'pending')).toHaveLength(1);
    expect(hook.delivered).toHaveLength(11);

    for (const replica of replicas) {
      const listening = replica.output().split('\n').find((line) => line.includes('"actiongate listening"'));
      expect(JSON.parse(listening!)).toMatchObject({ store: 'postgres', database: expect.stringContaining('actiongate_test_') });
      expect(listening).not.toContain('dataDir');
    }
  });
});
