import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/migrate.js';
import { DATABASE_FILE } from '../../src/store/sqlite/openDatabase.js';
import { proposeAction } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { insertRawAction, rawEventInsert } from './rawHistory.js';

/** Enough history that checking it takes many slices (2000 events each). */
const EVENTS = 100_000;
const ACTION_ID = '019ab3c2-6f1e-7a21-8d4e-2f6b7c9d0e1f';

/** A data directory whose history is long: one action with EVENTS events, written before the server starts (it chains them when it opens). */
function longHistory(): string {
  const dataDir = tempDataDir('actiongate-long-history-');
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    migrate(db);
    insertRawAction(db, { id: ACTION_ID, status: 'REJECTED', at: 0 });
    const event = rawEventInsert(db);
    db.transaction(() => {
      for (let i = 0; i < EVENTS; i++) event.run(ACTION_ID, 'PENDING', 'PENDING', 'alice', 'a note of a usual length', i);
    })();
  } finally {
    db.close();
  }
  return dataDir;
}

describe('VerifyHistory over a long history', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('checks every event while other calls keep being answered in between', async () => {
    t = await startTestServer({}, longHistory());
    const other = await proposeAction(t.actions);
    const verifying = t.actions.verifyHistory();
    let settled = false;
    void verifying.finally(() => (settled = true)).catch(() => undefined);
    let answeredMeanwhile = 0;
    while (!settled) {
      await t.actions.getAction({ actionId: other.actionId });
      if (!settled) answeredMeanwhile += 1;
    }
    expect(await verifying).toMatchObject({ ok: true, eventsChecked: String(EVENTS + 1) });
    // Checked in one go, the whole check would hold the event loop, and no other call could be answered until it ended.
    expect(answeredMeanwhile).toBeGreaterThanOrEqual(10);
  });
});
