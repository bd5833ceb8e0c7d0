import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../support/testServer.js';
import { expectOneLineFailure, runCli, runServe } from './runCli.js';

/** Every file a command is given by flag: one that cannot be read is one line naming the flag, the file and why. */
describe('files named on the command line that cannot be read', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const scratch = (): string => {
    const dir = tempDataDir('actiongate-unreadable-');
    dirs.push(dir);
    return dir;
  };

  it.each(['--catalog', '--auth-file', '--policy'])('serve %s with a missing file', async (flag) => {
    const dir = scratch();
    const missing = join(dir, 'missing.yaml');
    const run = await runServe(join(dir, 'data'), [flag, missing]);
    expectOneLineFailure(run, `cannot read ${flag} ${missing}: ENOENT`);
    expect(run.code).toBe(2);
  });

  it('serve --catalog naming a directory', async () => {
    const dir = scratch();
    expectOneLineFailure(await runServe(join(dir, 'data'), ['--catalog', dir]), `cannot read --catalog ${dir}: EISDIR`);
  });

  it('auth list and auth add with --auth-file naming a directory', async () => {
    const dir = scratch();
    expectOneLineFailure(await runCli(['auth', 'list', '--auth-file', dir]), `cannot read --auth-file ${dir}: EISDIR`);
    expectOneLineFailure(await runCli(['auth', 'add', 'alice', '--roles', 'viewer', '--auth-file', dir]), `cannot read --auth-file ${dir}: EISDIR`);
  });

  it('executor --handlers with a missing file', async () => {
    const dir = scratch();
    const missing = join(dir, 'handlers.json');
    expectOneLineFailure(await runCli(['executor', '--executor-id', 'x', '--handlers', missing]), `cannot read handlers file ${missing}: ENOENT`);
  });
});
