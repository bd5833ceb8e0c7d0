import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { proposeAction, uniqueNode } from '../support/actionFactory.js';
import { startTestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startWatchProcess } from './watchProcess.js';

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
    const child = startWatchProcess(['--server', t.address, '--node', node], cleanups);
    const { lines, exited } = child;

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
    expect(child.stdout()).not.toContain('{');
    expect(child.stdout()).not.toContain('\u001b[');
    expect(all).toHaveLength(4);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(child.stderr()).toBe('');
  });

  it('exits 5 with the cannot-reach message when no server runs', async () => {
    const child = startWatchProcess(['--server', '127.0.0.1:1'], cleanups);
    expect(await child.exited).toBe(5);
    expect(child.stderr()).toContain('cannot reach 127.0.0.1:1 (connection refused)');
  });
});
