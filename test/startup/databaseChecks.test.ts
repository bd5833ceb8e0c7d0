import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/store/sqlite/openDatabase.js';
import { loadMigrations } from '../../src/store/sqlite/migrate.js';
import { proposeAction } from '../support/actionFactory.js';
import { startTestServer, tempDataDir } from '../support/testServer.js';
import { expectOneLineFailure, runCli, runServe } from './runCli.js';

const NEWEST_MIGRATION = Math.max(...loadMigrations().map((m) => m.id));

/** A real actiongate database with `count` actions in it, closed cleanly (the WAL checkpointed into the file). */
async function databaseWithActions(dir: string, count: number): Promise<void> {
  const t = await startTestServer({}, dir);
  for (let i = 0; i < count; i++) await proposeAction(t.actions, { payload: { filler: 'x'.repeat(200), i } });
  t.actions.close();
  await t.server.shutdown();
}

/** Overwrites the actions table's root page with garbage: a damaged page that only a read of that table would meet. */
function damageActionsTable(file: string): void {
  const db = new Database(file, { readonly: true });
  const rootPage = db.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'actions'").pluck().get() as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootPage - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

function tables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe('start-up checks on the data directory', () => {
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = tempDataDir('actiongate-startup-');
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a file that is not a database, and leaves it as it was', async () => {
    const dir = dataDir();
    const file = join(dir, DATABASE_FILE);
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    expectOneLineFailure(await runServe(dir), `${file} is not a database`, 'move it away or choose another --data-dir');
    expect(readFileSync(file, 'utf8')).toBe('these are my notes, not a database\n'.repeat(200));
  });

  it("refuses another program's SQLite database without adding a table to it or changing its journal", async () => {
    const dir = dataDir();
    const file = join(dir, DATABASE_FILE);
    const foreign = new Database(file);
    foreign.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')");
    foreign.close();
    expectOneLineFailure(await runServe(dir), `${file} is a SQLite database but not an actiongate one`, 'users', 'left untouched');
    expect(tables(file)).toEqual(['users']);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    after.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('refuses a database whose schema_migrations lists migrations that are not ours', async () => {
    const dir = dataDir();
    const file = join(dir, DATABASE_FILE);
    const foreign = new Database(file);
    foreign.exec(`CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
      INSERT INTO schema_migrations VALUES (1, '001_create_users.sql', 0); CREATE TABLE users (id INTEGER PRIMARY KEY)`);
    foreign.close();
    expectOneLineFailure(await runServe(dir), 'not an actiongate one', '001_create_users.sql');
    expect(tables(file)).toEqual(['schema_migrations', 'users']);
  });

  it('refuses a database written by a newer actiongate, naming the schema version it needs', async () => {
    const dir = dataDir();
    await databaseWithActions(dir, 1);
    const file = join(dir, DATABASE_FILE);
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (999, ?, 0)').run('999_from_the_future.sql');
    db.close();
    expectOneLineFailure(await runServe(dir), `${file} was written by a newer actiongate`, 'schema version 999', `knows up to ${NEWEST_MIGRATION}`);
  });

  it('refuses a damaged database at start (quick_check), and --skip-quick-check lets it start', async () => {
    const dir = dataDir();
    await databaseWithActions(dir, 40);
    const file = join(dir, DATABASE_FILE);
    damageActionsTable(file);
    expectOneLineFailure(await runServe(dir), `the database ${file} is damaged`, 'quick_check', 'restore it from a backup', `actiongate verify --data-dir ${dir}`);

    // Without the check the damage goes unseen at start: the server comes up.
    const unchecked = await runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'info', '--skip-quick-check', '--sweep-interval-ms', '3600000'], {
      until: (out) => out.includes('actiongate listening'),
    });
    expect(unchecked.stdout, unchecked.stderr).toContain('actiongate listening');
  });

  it('says the data directory cannot be created when part of its path is a file', async () => {
    const dir = dataDir();
    const notADirectory = join(dir, 'a-file');
    writeFileSync(notADirectory, 'in the way');
    const wanted = join(notADirectory, 'data');
    expectOneLineFailure(await runServe(wanted), `cannot create the data directory ${resolve(wanted)}`, 'is a file, not a directory', '--data-dir');
    expectOneLineFailure(await runServe(notADirectory), `cannot create the data directory ${resolve(notADirectory)}`, 'it is a file, not a directory');
  });

  it('prints the cause and stack only with --log-level debug, and to the log', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, DATABASE_FILE), 'not a database\n'.repeat(100));
    expectOneLineFailure(await runServe(dir), 'is not a database');
    const debug = await runServe(dir, ['--log-level', 'debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    const logged = debug.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string; err?: { stack: string } });
    const failure = logged.find((entry) => entry.msg === 'start-up failed');
    expect(failure?.err?.stack, debug.stdout).toMatch(/\n\s+at /);
  });
});
