import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/domain/action.js';
import type { ControlSignal, HaltState } from '../../src/domain/controlSignal.js';
import { IllegalTransitionError, PreconditionError } from '../../src/domain/errors.js';
import * as lifecycle from '../../src/domain/lifecycle.js';
import type { Decide } from '../../src/store/ActionStore.js';
import { loadMigrations, migrate } from '../../src/store/postgres/migrate.js';
import { PostgresActionStore } from '../../src/store/postgres/PostgresActionStore.js';
import { StartupError } from '../../src/shared/StartupError.js';
import { newAction } from '../contract/backends.js';
import { approveBy, approved, claimAs, completeWith, running } from '../contract/steps.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';
import { waitFor } from '../support/waitFor.js';

/** Several stores on one database, as several replicas would have. */
describe('PostgreSQL store shared by replicas', () => {
  let database: TestDatabase;
  const stores: PostgresActionStore[] = [];

  const open = async (): Promise<PostgresActionStore> => {
    const store = await PostgresActionStore.open(database.url);
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

  it('migrates once when replicas start together', async () => {
    const [a] = await Promise.all([open(), open(), open()]);
    const { rows } = await pgQuery(database.url, 'SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(loadMigrations().map((m) => m.id));
    expect((await a!.create(newAction())).action.status).toBe('PENDING');
  });

  it('refuses a database a newer actiongate migrated, saying which version', async () => {
    await (await open()).close();
    stores.length = 0;
    await pgQuery(database.url, "INSERT INTO schema_migrations (id, name) VALUES (999, '999_future.sql')");
    const refusal = PostgresActionStore.open(database.url);
    await expect(refusal).rejects.toBeInstanceOf(StartupError);
    const known = Math.max(...loadMigrations().map((m) => m.id));
    await expect(refusal).rejects.toThrow(`newer actiongate (schema version 999; this version knows up to ${known})`);
    const pool = new pg.Pool({ connectionString: database.url });
    await expect(migrate(pool)).rejects.toThrow(/newer actiongate/);
    await pool.end();
  });

  it('tells each replica what the other committed, in order, once', async () => {
    const a = await open();
    const b = await open();
    const heardOnB: HistoryEvent[] = [];
    const signalsOnB: ControlSignal[] = [];
    b.onEvents((events) => heardOnB.push(...events));
    b.onSignals((signals) => signalsOnB.push(...signals));
    const action = await running(a, 'executor-1');
    const { signal } = await a.control(action.id, 'terminate', 'operator', 'stop');
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).create(newAction())));
    await waitFor(async () => heardOnB.length, (n) => n === 14, { what: 'B to hear every event' });
    expect(heardOnB).toEqual(await b.readEvents(0, {}, 100));
    await waitFor(async () => signalsOnB, (s) => s.length === 1, { what: 'B to hear the terminate' });
    expect(signalsOnB).toEqual([signal]);
  });

  it('re-reads what was committed while its listening connection was lost', async () => {
    const a = await open();
    const b = await open();
    const signalsOnB: ControlSignal[] = [];
    b.onSignals((signals) => signalsOnB.push(...signals));
    const action = await running(a, 'executor-1');
    // Ends every LISTEN connection on the database: B is deaf until it reconnects.
    const ended = await pgQuery(database.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    expect(ended.rowCount).toBe(2);
    const { signal: pause } = await a.control(action.id, 'pause', 'operator', 'while away');
    const { signal: resume } = await a.control(action.id, 'resume', 'operator', 'while away');
    await waitFor(async () => signalsOnB, (s) => s.length === 2, { what: 'B to catch up after reconnecting' });
    expect(signalsOnB).toEqual([pause, resume]);
  });

  it('applies an expiry once whichever replica sees it first', async () => {
    const a = await open();
    const b = await open();
    const { action } = await a.create(newAction({ expiresAt: Date.now() - 1 }));
    const expire: Decide = (current, now) => lifecycle.expire(current, now);
    const outcomes = await Promise.allSettled([a.update(action.id, expire), b.update(action.id, expire), a.update(action.id, expire), b.update(action.id, expire)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IllegalTransitionError);
    expect((await b.getAction(action.id))!.history.map((e) => e.to)).toEqual(['PENDING', 'EXPIRED']);
  });

  it('a halt committed on one replica stops every claim the other commits after it: none runs unpaused', async () => {
    const a = await open();
    const b = await open();
    const ids = (await Promise.all(Array.from({ length: 160 }, () => approved(a)))).map((action) => action.id);
    const claim = (id: string, i: number): Promise<unknown> => a.update(id, claimAs(`executor-${i}`)).then(() => 'claimed', (err: unknown) => err);
    // Waves of claims keep A's batches going back to back while B halts, and one more wave follows the halt.
    const outcomes: Promise<unknown>[] = [];
    let halted: Promise<{ halt: HaltState; affected: string[] }> | null = null;
    let haltCommitted = false;
    for (let start = 0; start < ids.length; start += 8) {
      const wave = ids.slice(start, start + 8).map((id, i) => claim(id, start + i));
      outcomes.push(...wave);
      if (haltCommitted) break;
      await Promise.race(wave);
      if (halted === null && start >= 16) halted = b.halt('operator', 'incident', false).finally(() => (haltCommitted = true));
    }
    expect(haltCommitted, 'the halt committed before the claims ran out').toBe(true);
    const { halt, affected } = await halted!;
    const settled = await Promise.all(outcomes);
    for (const outcome of settled) if (outcome !== 'claimed') expect(outcome).toBeInstanceOf(PreconditionError);
    expect(settled.filter((o) => o !== 'claimed').length).toBeGreaterThan(0);
    // A claim committed before the halt was paused by it; one after it must have been refused.
    const runningNow = (await Promise.all(ids.map((id) => a.getAction(id)))).filter((action) => action!.status === 'RUNNING');
    expect(runningNow.length).toBe(settled.filter((o) => o === 'claimed').length);
    for (const action of runningNow) expect(action).toMatchObject({ control: 'PAUSED', pausedByHalt: true, controlSequence: halt.signal!.sequence });
    expect(affected.sort()).toEqual(runningNow.map((action) => action!.id).sort());
  });

  it('a step that waited for another replica\'s commit to the same action replies with that commit\'s events', async () => {
    const a = await open();
    const b = await open();
    const action = await approved(a);
    const leaseId = 'lease-of-executor-1';
    // A third session holds the row, so A's claim and then B's completion queue behind it, in that order.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM actions WHERE id = $1 FOR UPDATE', [action.id]);
      const waiting = async (): Promise<number> =>
        (await holder.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0].n as number;
      const claimed = a.update(action.id, claimAs('executor-1', 30_000, leaseId));
      await waitFor(waiting, (n) => n === 1, { what: 'the claim to wait for the row' });
      const completed = b.update(action.id, completeWith(leaseId));
      await waitFor(waiting, (n) => n === 2, { what: 'the completion to wait behind the claim' });
      await holder.query('COMMIT');
      expect((await claimed).history.map((e) => e.to)).toEqual(['PENDING', 'APPROVED', 'RUNNING']);
      const reply = await completed;
      expect(reply.history.map((e) => e.to)).toEqual(['PENDING', 'APPROVED', 'RUNNING', 'COMPLETED']);
      expect(reply).toEqual(await b.getAction(action.id));
    } finally {
      await holder.end();
    }
  });

  it('tells commit listeners only what their own replica committed; event listeners hear both', async () => {
    const a = await open();
    const b = await open();
    const committedOnA: HistoryEvent[] = [];
    const signalsCommittedOnA: ControlSignal[] = [];
    const heardOnA: HistoryEvent[] = [];
    a.onCommittedHere(({ events, signals }) => {
      committedOnA.push(...events);
      signalsCommittedOnA.push(...signals);
    });
    a.onEvents((events) => heardOnA.push(...events));
    const mine = await a.create(newAction());
    const theirs = await running(b, 'executor-1');
    await b.control(theirs.id, 'pause', 'operator', 'look first');
    await waitFor(async () => heardOnA.length, (n) => n === 4, { what: 'A to hear B\'s events' });
    expect(committedOnA).toEqual(mine.action.history);
    expect(signalsCommittedOnA).toEqual([]);
    const { signal } = await a.control(theirs.id, 'resume', 'operator', '');
    expect(signalsCommittedOnA).toEqual([signal]);
  });

  it('numbers history and signals in commit order across replicas, and the chain holds', async () => {
    const a = await open();
    const b = await open();
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).create(newAction())));
    await Promise.all(created.map(({ action }, i) => (i % 2 === 0 ? b : a).update(action.id, approveBy('approver-1'))));
    const events = await a.readEvents(0, {}, 1000);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await b.verifyHistory()).toMatchObject({ ok: true, eventsChecked: 60 });
  });
});

async function pgQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
