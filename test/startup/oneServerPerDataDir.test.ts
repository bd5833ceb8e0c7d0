import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../../src/shared/StartupError.js';
import { SqliteActionStore } from '../../src/store/sqlite/SqliteActionStore.js';
import { getAction, proposeAction } from '../support/actionFactory.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { tempDataDir } from '../support/testServer.js';
import { expectOneLineFailure, runServe } from './runCli.js';

describe('one server per data directory', () => {
  const servers: ChildServer[] = [];
  const stores: SqliteActionStore[] = [];
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = tempDataDir('actiongate-lock-');
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a second serve on the same directory exits at once naming it and the holder; after kill -9 of the holder a new one starts', async () => {
    const dir = dataDir();
    const first = await startChildServer(dir);
    servers.push(first);
    const proposed = await proposeAction(first.client());

    const second = await runServe(dir);
    expectOneLineFailure(second, `the data directory ${resolve(dir)} is in use`, `(pid ${first.process.pid})`, 'one server per data directory');
    // The refused one disturbed nothing: the first still serves what it wrote.
    expect((await getAction(first.client(), proposed.actionId)).actionId).toBe(proposed.actionId);

    expect(await first.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
    // The lock died with its process: no stale lock, no clean-up needed.
    const third = await startChildServer(dir);
    servers.push(third);
    expect((await getAction(third.client(), proposed.actionId)).actionId).toBe(proposed.actionId);
    expectOneLineFailure(await runServe(dir), `(pid ${third.process.pid})`);
  });

  it('a second store on the same directory in one process is refused too, and the lock is released on close', async () => {
    const dir = dataDir();
    const first = SqliteActionStore.open(dir);
    stores.push(first);
    let refusal: unknown;
    try {
      stores.push(SqliteActionStore.open(dir));
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(StartupError);
    expect((refusal as Error).message).toContain(`(pid ${process.pid})`);

    await stores.pop()!.close();
    const reopened = SqliteActionStore.open(dir);
    stores.push(reopened);
    expect(await reopened.haltState()).toMatchObject({ halted: false });
  });
});
