import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionStatus, DecisionKind } from '../../src/gen/actiongate/v1/action.js';
import { loadMigrations, migrate } from '../../src/store/sqlite/migrate.js';
import { DATABASE_FILE } from '../../src/store/sqlite/openDatabase.js';
import { getAction, proposeAction } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { runCli } from '../startup/runCli.js';
import { insertRawAction, rawEventInsert } from './rawHistory.js';

const HOUR_MS = 3_600_000;

/** One action and its history, as the schema of migrations 001-003 stored them. */
interface OldAction {
  readonly status: 'PENDING' | 'APPROVED' | 'REJECTED';
  readonly events: readonly (readonly [from: string | null, to: string, actor: string, reason: string])[];
}

const OLD_ACTIONS: readonly OldAction[] = [
  { status: 'PENDING', events: [[null, 'PENDING', 'deploy-bot', 'proposed']] },
  { status: 'APPROVED', events: [[null, 'PENDING', 'deploy-bot', 'proposed'], ['PENDING', 'APPROVED', 'alice', 'looks right']] },
  { status: 'REJECTED', events: [[null, 'PENDING', 'deploy-bot', 'proposed'], ['PENDING', 'REJECTED', 'bob', 'not now']] },
];

/** A data directory as a build from before the governance issue left it: migrations 001-003 and their rows, no chain. */
function databaseBeforeGovernance(): { dataDir: string; ids: string[] } {
  const dataDir = tempDataDir('actiongate-prechain-');
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    const old = loadMigrations().filter((m) => m.id <= 3);
    expect(old.map((m) => m.id)).toEqual([1, 2, 3]);
    migrate(db, old);
    const insertEvent = rawEventInsert(db);
    const now = Date.now();
    const ids = OLD_ACTIONS.map((action, i) => {
      const id = randomUUID();
      const at = now - (OLD_ACTIONS.length - i) * 1000;
      insertRawAction(db, { id, status: action.status, at, version: action.events.length, expiresAt: action.status === 'PENDING' ? now + HOUR_MS : null });
      for (const [from, to, actor, reason] of action.events) insertEvent.run(id, from, to, actor, reason, at);
      return id;
    });
    return { dataDir, ids };
  } finally {
    db.close();
  }
}

describe('a database from before the hash chain', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('opens, gets its events chained once, and verifies: over gRPC and with actiongate verify', async () => {
    const { dataDir, ids } = databaseBeforeGovernance();
    const oldEvents = OLD_ACTIONS.reduce((n, a) => n + a.events.length, 0);
    // Checked before this version ever opened it: the file is whole, and there is no chain yet to check.
    const before = await runCli(['verify', '--data-dir', dataDir]);
    expect(before.code, before.stdout + before.stderr).toBe(0);
    expect(before.stdout).toContain('ok (integrity_check found no problem)');
    expect(before.stdout).toContain('predates the hash chain');
    expect(before.stderr).toBe('');

    t = await startTestServer({}, dataDir);

    expect(await t.actions.verifyHistory()).toMatchObject({ ok: true, eventsChecked: String(oldEvents) });
    // The old approvals and rejections read as decisions; the old events carry hashes like new ones.
    const approved = await getAction(t.actions, ids[1]!);
    expect(approved.status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
    expect(approved.history.map((e) => [e.actor, e.decision])).toEqual([
      ['deploy-bot', DecisionKind.DECISION_KIND_UNSPECIFIED],
      ['alice', DecisionKind.DECISION_KIND_APPROVE],
    ]);
    expect(approved.history[1]!.previousHash).toBe(approved.history[0]!.hash);
    expect((await getAction(t.actions, ids[2]!)).history[1]!.decision).toBe(DecisionKind.DECISION_KIND_REJECT);

    // New events continue the same chain.
    const { actionId } = await proposeAction(t.actions);
    await t.actions.approve({ actionId, reason: 'after the upgrade' });
    expect(await t.actions.verifyHistory()).toMatchObject({ ok: true, eventsChecked: String(oldEvents + 2) });
    const run = await runCli(['verify', '--data-dir', dataDir]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`the history's hash chain holds over ${oldEvents + 2} events`);

    // The old history is append-only again: the one change allowed was chaining it.
    const db = new Database(join(dataDir, DATABASE_FILE));
    try {
      expect(() => db.prepare("UPDATE action_events SET reason = 'rewritten' WHERE sequence = 2").run()).toThrow('append-only');
      expect(() => db.prepare('UPDATE action_events SET hash = NULL WHERE sequence = 2').run()).toThrow('append-only');
    } finally {
      db.close();
    }
  });
});
