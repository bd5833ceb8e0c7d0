import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRED_LEASES_SQL, EXPIRED_PENDING_SQL } from '../../src/store/sqlite/SqliteActionStore.js';
import { openDatabase } from '../../src/store/sqlite/openDatabase.js';

// The sweeper runs these every second. Through actions_status they would read
// every RUNNING or PENDING row and sort them, a cost that grows with the backlog.
describe('expiry sweep queries', () => {
  let dir: string;
  let db: Database.Database;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'actiongate-sweep-plan-'));
    db = openDatabase(dir);
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const plan = (sql: string): string[] =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(Date.now(), 100) as { detail: string }[]).map((row) => row.detail);

  it('finds expired leases through the partial index, in order, without sorting', () => {
    expect(plan(EXPIRED_LEASES_SQL)).toEqual(['SEARCH actions USING COVERING INDEX actions_running_lease (lease_expires_at<?)']);
  });

  it('finds expired pending actions through the partial index, in order, without sorting', () => {
    expect(plan(EXPIRED_PENDING_SQL)).toEqual(['SEARCH actions USING COVERING INDEX actions_pending_expiry (expires_at<?)']);
  });
});
