import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { toServiceError } from '../../src/server/errorMapper.js';
import { GroupCommitter } from '../../src/store/sqlite/GroupCommitter.js';
import { StoreUnavailableError } from '../../src/store/storeErrors.js';
import { DATABASE_FILE, openDatabase, WAL_FILE } from '../../src/store/sqlite/openDatabase.js';
import { WalSync } from '../../src/store/sqlite/WalSync.js';

/**
 * Stands in for WalSync as GroupCommitter's `durable` argument: each commit's
 * promise stays pending until the test resolves or rejects it, so the test
 * decides when a commit counts as on disk.
 */
class DurableGate {
  readonly commits: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  readonly durable = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.commits.push({ resolve, reject });
    });
}

/** One full turn of the event loop: a flush scheduled before this has run, and every promise callback it caused. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await nextTurn();
  return settled;
}

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'actiongate-groupcommit-'));
  db = openDatabase(dir);
  db.exec('CREATE TABLE t (v INTEGER)');
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function values(): number[] {
  return db.prepare('SELECT v FROM t ORDER BY v').pluck().all() as number[];
}

function insert(v: number): (sideEffects: string[]) => number {
  return (sideEffects) => {
    db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
    sideEffects.push(`inserted ${v}`);
    return v;
  };
}

describe('GroupCommitter', () => {
  it('commits at once but answers nothing until the commit is durable', async () => {
    const gate = new DurableGate();
    const published: string[][] = [];
    const committer = new GroupCommitter<string>(db, (effects) => published.push(effects), gate.durable);

    const job = committer.run(insert(1));
    await nextTurn();

    expect(gate.commits).toHaveLength(1);
    expect(await isSettled(job)).toBe(false);
    expect(published).toEqual([]);
    // The same connection would see its own uncommitted rows too; a second
    // connection proves COMMIT has already happened and only durability is awaited.
    expect(db.inTransaction).toBe(false);
    expect(values()).toEqual([1]);
    const other = new Database(join(dir, DATABASE_FILE), { readonly: true });
    try {
      expect(other.prepare('SELECT v FROM t').pluck().all()).toEqual([1]);
    } finally {
      other.close();
    }

    gate.commits[0]!.resolve();
    await expect(job).resolves.toBe(1);
    expect(published).toEqual([['inserted 1']]);
  });

  it('holds what arrives while a commit is syncing, then commits it as one batch, in order', async () => {
    const gate = new DurableGate();
    const published: string[][] = [];
    const settled: number[] = [];
    const committer = new GroupCommitter<string>(db, (effects) => published.push(effects), gate.durable);

    const first = committer.run(insert(1)).then((v) => settled.push(v));
    await nextTurn();
    const second = committer.run(insert(2)).then((v) => settled.push(v));
    await nextTurn();
    const third = committer.run(insert(3)).then((v) => settled.push(v));
    await nextTurn();
    // While the first commit syncs, the next two wait uncommitted: waiting costs
    // them nothing (their own sync could not start sooner) and they share a commit.
    expect(gate.commits).toHaveLength(1);
    expect(values()).toEqual([1]);

    gate.commits[0]!.resolve();
    await first;
    await nextTurn();
    expect(gate.commits).toHaveLength(2);
    expect(values()).toEqual([1, 2, 3]);
    expect(await isSettled(second)).toBe(false);
    expect(published).toEqual([['inserted 1']]);

    gate.commits[1]!.resolve();
    await Promise.all([second, third]);
    expect(settled).toEqual([1, 2, 3]);
    expect(published).toEqual([['inserted 1'], ['inserted 2', 'inserted 3']]);
  });

  it('keeps commit order with the real WalSync as its durability', async () => {
    const wal = WalSync.open(join(dir, WAL_FILE));
    const published: string[][] = [];
    const settled: number[] = [];
    const committer = new GroupCommitter<string>(db, (effects) => published.push(effects), () => wal.sync());

    const jobs: Promise<unknown>[] = [];
    for (let v = 1; v <= 5; v++) {
      jobs.push(committer.run(insert(v)).then((value) => settled.push(value)));
      await nextTurn();
    }
    await Promise.all(jobs);
    await committer.close();
    await wal.close();

    expect(settled).toEqual([1, 2, 3, 4, 5]);
    expect(published.flat()).toEqual([1, 2, 3, 4, 5].map((v) => `inserted ${v}`));
  });

  it('durableSoFar waits for the latest commit, not just the earlier ones', async () => {
    const gate = new DurableGate();
    const committer = new GroupCommitter<string>(db, () => {}, gate.durable);

    const first = committer.run(insert(1));
    await nextTurn();
    const second = committer.run(insert(2));
    await nextTurn();
    const beforeSecond = committer.durableSoFar();
    expect(await isSettled(beforeSecond)).toBe(false);

    gate.commits[0]!.resolve();
    await first;
    await nextTurn();
    expect(gate.commits).toHaveLength(2);
    expect(await isSettled(beforeSecond)).toBe(true);
    const afterSecond = committer.durableSoFar();
    expect(await isSettled(afterSecond)).toBe(false);

    gate.commits[1]!.resolve();
    await second;
    expect(await isSettled(afterSecond)).toBe(true);
  });

  it('rejects every job of a commit that could not be made durable, and publishes nothing', async () => {
    const gate = new DurableGate();
    const published: string[][] = [];
    const lost: Error[] = [];
    const committer = new GroupCommitter<string>(db, (effects) => published.push(effects), gate.durable, {
      onDurabilityLost: (err) => lost.push(err),
    });

    const jobs = [committer.run(insert(1)), committer.run(insert(2))];
    await nextTurn();
    expect(gate.commits).toHaveLength(1);

    const diskError = new Error('EIO');
    gate.commits[0]!.reject(diskError);
    for (const job of jobs) {
      const err = await job.then(
        () => expect.unreachable('a job resolved although its commit was not durable'),
        (reason: unknown) => reason,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/could not be made durable/);
      expect((err as Error).cause).toBe(diskError);
    }
    expect(published).toEqual([]);

    // What reached the disk is unknown from here on: later writes never reach the database.
    const later = committer.run(insert(3));
    await expect(later).rejects.toThrow(/refuses writes/);
    await nextTurn();
    expect(gate.commits).toHaveLength(1);
    expect(values()).toEqual([1, 2]);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.cause).toBe(diskError);
    // Callers are told to go elsewhere or come back, not that the server has a bug.
    expect(toServiceError(await later.catch((e: unknown) => e), pino({ level: 'silent' }), 'Test').code).toBe(status.UNAVAILABLE);
  });

  it('refuses work once closed with a status that says the store is unavailable', async () => {
    const committer = new GroupCommitter<string>(db, () => {}, () => Promise.resolve());
    await committer.close();
    const err = await committer.run(insert(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(toServiceError(err, pino({ level: 'silent' }), 'Test').code).toBe(status.UNAVAILABLE);
  });

  it('waits, before any read, for what an earlier process committed but may not have synced', async () => {
    let opened!: () => void;
    const initiallyDurable = new Promise<void>((resolve) => (opened = resolve));
    const gate = new DurableGate();
    const committer = new GroupCommitter<string>(db, () => {}, gate.durable, { initiallyDurable });

    const soFar = committer.durableSoFar();
    expect(await isSettled(soFar)).toBe(false);
    opened();
    expect(await isSettled(soFar)).toBe(true);
  });

  it('refuses the whole batch when a failing statement rolls back the transaction itself', async () => {
    // ON CONFLICT ROLLBACK ends the whole transaction, as SQLITE_FULL or an I/O error do.
    db.exec('CREATE TABLE u (v INTEGER UNIQUE ON CONFLICT ROLLBACK)');
    db.prepare('INSERT INTO u (v) VALUES (2)').run();
    const insertU = (v: number) => () => db.prepare('INSERT INTO u (v) VALUES (?)').run(v).changes;
    const gate = new DurableGate();
    const committer = new GroupCommitter<string>(db, () => {}, gate.durable);

    const outcomes = [1, 2, 3].map((v) => committer.run(insertU(v)).then(() => 'committed', (err: Error) => err.message));
    await nextTurn();

    expect(await Promise.all(outcomes)).toEqual(Array(3).fill('the database refused the transaction'));
    // Nothing of the batch committed, not even the jobs after the failing one.
    expect(db.prepare('SELECT v FROM u ORDER BY v').pluck().all()).toEqual([2]);
    expect(db.inTransaction).toBe(false);
    expect(gate.commits).toHaveLength(0);
  });

  it.each([
    ['after writing, rolling its row back', (sideEffects: string[]) => void insert(2)(sideEffects)],
    ['before writing, with nothing to undo', (sideEffects: string[]) => void sideEffects.push('never published')],
  ])('rejects a job that throws %s, while the others in its batch commit and publish', async (_when, beforeThrowing) => {
    const gate = new DurableGate();
    const published: string[][] = [];
    const committer = new GroupCommitter<string>(db, (effects) => published.push(effects), gate.durable);

    const failure = new Error('job failed');
    const first = committer.run(insert(1));
    const bad = committer.run((sideEffects) => {
      beforeThrowing(sideEffects);
      throw failure;
    });
    const last = committer.run(insert(3));
    await nextTurn();

    // One commit for the whole batch, the failed job's row absent from it.
    expect(gate.commits).toHaveLength(1);
    expect(values()).toEqual([1, 3]);

    gate.commits[0]!.resolve();
    await expect(first).resolves.toBe(1);
    await expect(bad).rejects.toBe(failure);
    await expect(last).resolves.toBe(3);
    expect(published).toEqual([['inserted 1', 'inserted 3']]);
  });

  it('runs a batch again from the start when a job throws after writing, so earlier jobs are neither lost nor doubled', async () => {
    const gate = new DurableGate();
    const published: string[][] = [];
    const committer = new GroupCommitter<string>(db, (effects) => published.push(effects), gate.durable);

    let firstRuns = 0;
    const first = committer.run((sideEffects) => {
      firstRuns += 1;
      return insert(1)(sideEffects);
    });
    const bad = committer.run((sideEffects) => {
      insert(2)(sideEffects);
      throw new Error('failed after writing');
    });
    await nextTurn();

    // The first job ran once without a savepoint and once more in the savepoint pass.
    expect(firstRuns).toBe(2);
    expect(values()).toEqual([1]);
    gate.commits[0]!.resolve();
    await expect(first).resolves.toBe(1);
    await expect(bad).rejects.toThrow('failed after writing');
    expect(published).toEqual([['inserted 1']]);
  });
});

describe('WalSync', () => {
  it('answers syncs asked for at once, in the order asked, then closes', async () => {
    const path = join(dir, 'synced-file');
    writeFileSync(path, 'some bytes to make durable');
    const wal = WalSync.open(path);

    const order: number[] = [];
    const syncs = [1, 2, 3].map((n) => wal.sync().then(() => order.push(n)));
    await Promise.all(syncs);
    expect(order).toEqual([1, 2, 3]);

    await expect(wal.close()).resolves.toBeUndefined();
  });
});
