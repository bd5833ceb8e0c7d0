import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { proposeAction, uniqueNode } from '../support/actionFactory.js';
import { REPO_ROOT } from '../support/childServer.js';
import { startTestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

describe('actiongate watch for people', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('prints transitions and control signals live, one readable line each, filtered like list', async () => {
    const t = await startTestServer();
    cleanups.push(() => t.stop());
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const node = uniqueNode('tail');
    const child = spawn(process.execPath, ['bin/actiongate.js', 'watch', '--server', t.address, '--node', node], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = (): string[] => stdout.split('\n').filter((l) => l !== '');

    // Another node's action: filtered out.
    await proposeAction(t.actions, { node: uniqueNode('other') });
    const action = await proposeAction(t.actions, { node, service: 'checkout', actionType: 'redeploy_service' });
    await waitFor(lines, (l) => l.length >= 1, { what: 'the proposal', timeoutMs: 20_000 });
    // Live: these happen after the watch printed the proposal.
    await control.pause(action.actionId, 'checking');
    await t.actions.reject({ actionId: action.actionId, reason: 'wrong image' });
    await control.halt('incident 9', false);
    const all = await waitFor(lines, (l) => l.length >= 4, { what: 'the pause, the reject and the halt', timeoutMs: 20_000 });

    expect(all[0]).toMatch(new RegExp(`^\\S+Z  ${action.actionId}  redeploy_service ${node}/checkout  proposed -> PENDING  by anonymous`));
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`PAUSE action ${action.actionId}  by anonymous  "checking"$`)));
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`${action.actionId}  redeploy_service ${node}/checkout  PENDING -> REJECTED  by anonymous  "wrong image"$`)));
    expect(all).toContainEqual(expect.stringMatching(/HALT everything  by anonymous  "incident 9"$/));
    expect(stdout).not.toContain('{');
    expect(stdout).not.toContain('\u001b[');
    expect(all).toHaveLength(4);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('exits 5 with the cannot-reach message when no server runs', async () => {
    const child = spawn(process.execPath, ['bin/actiongate.js', 'watch', '--server', '127.0.0.1:1'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(5);
    expect(stderr).toContain('cannot reach 127.0.0.1:1 (connection refused)');
  });
});
