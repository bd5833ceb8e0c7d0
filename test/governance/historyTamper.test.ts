import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/store/sqlite/openDatabase.js';
import { getAction, proposeAction } from '../support/actionFactory.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { runCli, type CliRun } from '../startup/runCli.js';

interface EventRow {
  readonly sequence: number;
  readonly action_id: string;
  readonly reason: string;
}

const dirs: string[] = [];
const servers: ChildServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A data directory with a real history written by `actiongate serve`, which is stopped again; returns its events. */
async function historyOnDisk(): Promise<{ dataDir: string; events: EventRow[] }> {
  const dataDir = tempDataDir('actiongate-tamper-');
  dirs.push(dataDir);
  const server = await startChildServer(dataDir);
  servers.push(server);
  const client = server.client();
  for (let i = 0; i < 4; i++) {
    const { actionId } = await proposeAction(client, { payload: { round: i } });
    if (i % 2 === 0) await client.approve({ actionId, reason: `approved ${i}` });
    else await client.reject({ actionId, reason: `rejected ${i}` });
  }
  expect(await server.kill('SIGTERM')).toMatchObject({ code: 0 });
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return { dataDir, events: db.prepare('SELECT sequence, action_id, reason FROM action_events ORDER BY sequence').all() as EventRow[] };
  } finally {
    db.close();
  }
}

/** Opens the database file the way a tamperer would: directly, behind the server's back. */
function tamper(dataDir: string, change: (db: Database.Database) => void): void {
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    change(db);
  } finally {
    db.close();
  }
}

const verify = (dataDir: string): Promise<CliRun> => runCli(['verify', '--data-dir', dataDir]);

function expectBroken(run: CliRun, sequence: number, actionId: string | null): string {
  const context = `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  expect(run.code, context).toBe(1);
  const lines = run.stdout.split('\n').filter((l) => l.includes('history event'));
  expect(lines, context).toHaveLength(1);
  const named = actionId === null ? `history event ${sequence} ` : `history event ${sequence} (action ${actionId}) `;
  expect(lines[0], context).toContain(named);
  return lines[0]!;
}

describe('actiongate verify finds a history rewritten behind a stopped server', () => {
  it('a whole history verifies: exit 0, every event checked', async () => {
    const { dataDir, events } = await historyOnDisk();
    expect(events).toHaveLength(8);
    const run = await verify(dataDir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`the history's hash chain holds over ${events.length} events`);
  });

  it('a history a running server keeps writing to verifies too: appends are never taken for deletions', async () => {
    const dataDir = tempDataDir('actiongate-tamper-');
    dirs.push(dataDir);
    const server = await startChildServer(dataDir);
    servers.push(server);
    const client = server.client();
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await proposeAction(client);
        written += 1;
      }
    })();
    try {
      for (let run = 0; run < 6; run++) {
        const before = written;
        const result = await verify(dataDir);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toContain("the history's hash chain holds");
        // Events were being written while it checked.
        await waitFor(() => written, (n) => n > before, { what: 'more proposals' });
      }
    } finally {
      writing = false;
      await writer;
    }
  });

  it('one edited reason: exit 1 naming exactly that event, by sequence and action id', async () => {
    const { dataDir, events } = await historyOnDisk();
    const target = events[3]!;
    expect(target.reason).toBe('rejected 1');
    tamper(dataDir, (db) => {
      db.exec('DROP TRIGGER action_events_no_update');
      expect(db.prepare('UPDATE action_events SET reason = ? WHERE sequence = ?').run('approved 1', target.sequence).changes).toBe(1);
    });
    const line = expectBroken(await verify(dataDir), target.sequence, target.action_id);
    expect(line).toContain('edited');
  });

  it('one deleted event in the middle: exit 1 naming the event that lost its predecessor', async () => {
    const { dataDir, events } = await historyOnDisk();
    const [gone, next] = [events[4]!, events[5]!];
    tamper(dataDir, (db) => {
      db.exec('DROP TRIGGER action_events_no_delete');
      expect(db.prepare('DELETE FROM action_events WHERE sequence = ?').run(gone.sequence).changes).toBe(1);
    });
    const line = expectBroken(await verify(dataDir), next.sequence, next.action_id);
    expect(line).toContain(`the event before it, ${gone.sequence}, is missing`);
  });

  it('the last event deleted: exit 1 naming the sequence that is gone', async () => {
    const { dataDir, events } = await historyOnDisk();
    const last = events.at(-1)!;
    tamper(dataDir, (db) => {
      db.exec('DROP TRIGGER action_events_no_delete');
      expect(db.prepare('DELETE FROM action_events WHERE sequence = ?').run(last.sequence).changes).toBe(1);
    });
    const line = expectBroken(await verify(dataDir), last.sequence, null);
    expect(line).toContain('deleted');

    // A server that writes again afterwards does not reuse the number: the gap stays, and verify names the event after it.
    const server = await startChildServer(dataDir);
    servers.push(server);
    const { actionId } = await proposeAction(server.client());
    expect(await server.kill('SIGTERM')).toMatchObject({ code: 0 });
    const after = expectBroken(await verify(dataDir), last.sequence + 1, actionId);
    expect(after).toContain(`the event before it, ${last.sequence}, is missing`);
  });

  it('an edited event whose hash was cleared is not chained again by the next start', async () => {
    const { dataDir, events } = await historyOnDisk();
    const target = events[2]!;
    tamper(dataDir, (db) => {
      db.exec('DROP TRIGGER action_events_no_update');
      db.prepare('UPDATE action_events SET reason = ?, hash = NULL, previous_hash = NULL WHERE sequence = ?').run('nothing to see', target.sequence);
    });
    // A server start chains only the events written before the chain existed; it must not launder this one.
    const server = await startChildServer(dataDir);
    servers.push(server);
    expect(await server.kill('SIGTERM')).toMatchObject({ code: 0 });
    expectBroken(await verify(dataDir), target.sequence, target.action_id);
  });
});

describe('VerifyHistory over gRPC', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('says ok while proposals keep being written, each check covering more events', async () => {
    t = await startTestServer();
    const server = t;
    let writing = true;
    const writer = (async () => {
      while (writing) await proposeAction(server.actions);
    })();
    try {
      let last = 0;
      for (let i = 0; i < 10; i++) {
        const check = await server.actions.verifyHistory();
        expect(check, JSON.stringify(check)).toMatchObject({ ok: true, problem: '' });
        expect(Number(check.eventsChecked)).toBeGreaterThanOrEqual(last);
        last = Number(check.eventsChecked);
      }
      expect(last).toBeGreaterThan(0);
    } finally {
      writing = false;
      await writer;
    }
  });

  it('says ok with every event checked on a healthy server, and names an event edited behind its back', async () => {
    t = await startTestServer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { actionId } = await proposeAction(t.actions);
      await t.actions.approve({ actionId, reason: `go ${i}` });
      ids.push(actionId);
    }
    expect(await t.actions.verifyHistory()).toEqual({ ok: true, eventsChecked: '6', firstBadSequence: '0', firstBadActionId: '', problem: '' });

    const target = (await getAction(t.actions, ids[1]!)).history[1]!;
    tamper(t.dataDir, (db) => {
      db.exec('DROP TRIGGER action_events_no_update');
      db.prepare('UPDATE action_events SET actor = ? WHERE sequence = ?').run('someone-else', Number(target.sequence));
    });
    const check = await t.actions.verifyHistory();
    expect(check).toMatchObject({ ok: false, firstBadSequence: target.sequence, firstBadActionId: ids[1] });
    expect(check.problem).toContain('edited');
  });
});
