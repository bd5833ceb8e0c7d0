import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/store/sqlite/openDatabase.js';
import { proposeAction } from '../support/actionFactory.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { tempDataDir } from '../support/testServer.js';
import { expectOneLineFailure, runCli } from './runCli.js';

describe('actiongate verify --data-dir', () => {
  const servers: ChildServer[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('exits 0 on a whole database, even while a server serves it, and 1 once a page is damaged', async () => {
    const dir = tempDataDir('actiongate-verify-');
    dirs.push(dir);
    const server = await startChildServer(dir);
    servers.push(server);
    for (let i = 0; i < 30; i++) await proposeAction(server.client(), { payload: { filler: 'y'.repeat(300) } });

    const live = await runCli(['verify', '--data-dir', dir]);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toContain('ok');

    expect(await server.kill('SIGTERM')).toMatchObject({ code: 0 });
    const file = join(dir, DATABASE_FILE);
    const db = new Database(file, { readonly: true });
    const rootPage = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'actions_status'").pluck().get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (rootPage - 1) * pageSize);
    closeSync(fd);

    const damaged = await runCli(['verify', '--data-dir', dir]);
    expect(damaged.code, damaged.stdout + damaged.stderr).toBe(1);
    expect(damaged.stdout).toContain('damaged');
    expect(damaged.stdout).toContain('restore it from a backup');
  });

  it('refuses, in one line, a directory without a database and a file that is not one', async () => {
    const dir = tempDataDir('actiongate-verify-');
    dirs.push(dir);
    expectOneLineFailure(await runCli(['verify', '--data-dir', dir]), 'there is no actiongate database');
    writeFileSync(join(dir, DATABASE_FILE), 'plain text\n'.repeat(100));
    expectOneLineFailure(await runCli(['verify', '--data-dir', dir]), 'is not a database');
  });
});
