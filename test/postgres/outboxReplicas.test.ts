import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OUTBOX_CLAIM_MS } from '../../src/store/postgres/PgOutbox.js';
import { PostgresActionStore } from '../../src/store/postgres/PostgresActionStore.js';
import { newAction } from '../contract/backends.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';

/** Notifiers of several replicas on one database: each message goes to one of them at a time. */
describe('PostgreSQL notification outbox shared by replicas', () => {
  let database: TestDatabase;
  const stores: PostgresActionStore[] = [];

  const open = async (): Promise<PostgresActionStore> => {
    const store = await PostgresActionStore.open(database.url);
    store.routeNotifications(['hook']);
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    database = await freshDatabase();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await database.drop();
  });

  it('hands each due message to one replica, and to another once the claim lapses undelivered', async () => {
    const replicas = await Promise.all([open(), open(), open()]);
    const proposed = await Promise.all(Array.from({ length: 40 }, (_, i) => replicas[i % 3]!.create(newAction())));
    const now = Date.now() + 1000;

    // Every replica claims in small batches at once, until none finds anything due.
    const claimedBy = await Promise.all(
      replicas.map(async (store) => {
        const ids: number[] = [];
        for (;;) {
          const batch = await store.claimOutbox(4, now);
          if (batch.length === 0) return ids;
          ids.push(...batch.map((m) => m.id));
        }
      }),
    );
    const all = claimedBy.flat();
    expect(all).toHaveLength(proposed.length);
    expect(new Set(all).size).toBe(proposed.length);

    // Held while the claim lasts; due again after it, for whichever replica asks, with no attempt counted.
    expect(await replicas[1]!.claimOutbox(100, now + OUTBOX_CLAIM_MS - 1)).toEqual([]);
    const retaken = await replicas[2]!.claimOutbox(100, now + OUTBOX_CLAIM_MS);
    expect(retaken.map((m) => m.id).sort((a, b) => a - b)).toEqual([...all].sort((a, b) => a - b));
    expect(retaken.every((m) => m.attempts === 0)).toBe(true);

    await Promise.all(retaken.map((m) => replicas[0]!.markDelivered(m.id)));
    expect((await replicas[1]!.stats()).undeliveredNotifications).toBe(0);
  });

  it('a replica that closes gives back the messages it claimed and did not settle', async () => {
    const [leaving, staying] = await Promise.all([open(), open()]);
    await leaving.create(newAction());
    await leaving.create(newAction());
    const now = Date.now() + 1000;
    const claimed = await leaving.claimOutbox(10, now);
    expect(claimed).toHaveLength(2);
    await leaving.markDelivered(claimed[0]!.id);
    expect(await staying.claimOutbox(10, now)).toEqual([]);

    await leaving.close();
    const retaken = await staying.claimOutbox(10, Date.now() + 1000);
    expect(retaken.map((m) => m.id)).toEqual([claimed[1]!.id]);
  });
});
