import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { operatorCommand } from '../../src/cli/operatorCommand.js';
import { proposeAction, uniqueNode } from '../support/actionFactory.js';
import { freePort } from '../support/freePort.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { runCli } from '../startup/runCli.js';
import { startWatchProcess } from './watchProcess.js';

/** Anything a terminal acts on: C0 controls but the newline, DEL, C1 (CSI is U+009B), and the bidi overrides. */
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** What may reach a terminal on purpose: SGR colour codes. */
const COLOUR = /\u001b\[[0-9;]*m/g;

/** Fields someone stored to take over the screen of whoever reads them. */
const HOSTILE = {
  node: `web\u001b[2J\u001b[Hcleared\rX`,
  service: 'svc\u001b]0;pwned\u0007\u009b31m\u202eevil',
  reason: 'line one\nline two\r\u001b[1Aover the line above',
};

/** A stdout that says it is a terminal, recording what is written. */
function terminal(): { stream: PassThrough & { isTTY: boolean }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('the CLI against hostile data and hostile flags', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(): Promise<TestServer> {
    const t = await startTestServer();
    cleanups.push(() => t.stop());
    return t;
  }

  it('list and get print escape sequences, CR and C1 controls in node, service and reason as text, never raw', async () => {
    const t = await server();
    const tag = uniqueNode('esc');
    const action = await proposeAction(t.actions, { node: `${tag}${HOSTILE.node}`, service: HOSTILE.service });
    await t.actions.reject({ actionId: action.actionId, reason: HOSTILE.reason });

    const list = await runCli(['list', '--server', t.address]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(ACTIVE);
    // Written out, and clipped to the column's width.
    expect(list.stdout).toContain(`${tag}web\\x1b[2J\\x1b[Hcleared\\rX/svc\\x1b`);

    const get = await runCli(['get', action.actionId, '--server', t.address]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).not.toMatch(ACTIVE);
    expect(get.stdout).toContain(`${tag}web\\x1b[2J\\x1b[Hcleared\\rX/svc\\x1b]0;pwned\\x07\\x9b31m\\u202eevil`);
    // The reason's newline does not start a line of its own: the history stays two lines.
    expect(get.stdout).toContain('"line one\\nline two\\r\\x1b[1Aover the line above"');
    expect(get.stdout.split('\n').filter((l) => l.includes('line two'))).toHaveLength(1);

    // On a terminal, with colours on: the only escapes are the colour codes the CLI itself writes.
    const tty = terminal();
    const code = await operatorCommand('get', [action.actionId, '--server', t.address], {}, { stdout: tty.stream, stderr: new PassThrough() });
    expect(code).toBe(0);
    expect(tty.text()).toMatch(COLOUR);
    expect(tty.text().replace(COLOUR, '')).not.toMatch(ACTIVE);
  });

  it('watch prints hostile fields and reasons as text, one line per event', async () => {
    const t = await server();
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const tag = uniqueNode('watch-esc');
    const child = startWatchProcess(['--server', t.address, '--node', `${tag}${HOSTILE.node}`], cleanups);
    const { lines, exited } = child;

    const action = await proposeAction(t.actions, { node: `${tag}${HOSTILE.node}`, service: HOSTILE.service });
    await waitFor(lines, (l) => l.length >= 1, { what: 'the proposal', timeoutMs: 20_000 });
    await control.pause(action.actionId, HOSTILE.reason);
    await t.actions.reject({ actionId: action.actionId, reason: HOSTILE.reason });
    const all = await waitFor(lines, (l) => l.length >= 3, { what: 'the pause and the reject', timeoutMs: 20_000 });

    expect(child.stdout()).not.toMatch(ACTIVE);
    expect(all).toHaveLength(3);
    expect(all.filter((l) => l.includes('"line one\\nline two\\r\\x1b[1Aover the line above"'))).toHaveLength(2);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('keeps the list table to a screen\'s width when a node or type is as long as the server allows', async () => {
    const t = await server();
    const tag = uniqueNode('wide');
    const long = `${tag}-${'n'.repeat(240)}`;
    await proposeAction(t.actions, { node: long, service: 's'.repeat(256) });
    await proposeAction(t.actions, { node: `${tag}-short`, service: 'api' });

    const list = await runCli(['list', '--server', t.address]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    // ID (36) + two clipped cells of 48 + risk, status, age: well under 200 columns.
    for (const line of lines) expect(line.length, line).toBeLessThan(200);
    const statusAt = lines[0]!.indexOf('STATUS');
    for (const line of lines.slice(1)) expect(line.slice(statusAt).split(' ')[0]).toMatch(/^(PENDING|APPROVED)$/);
    expect(list.stdout).toContain('…');

    // get shows the whole of it.
    const id = lines.find((l) => l.includes(`${tag}-nnn`))!.split(' ')[0]!;
    const get = await runCli(['get', id, '--server', t.address]);
    expect(get.stdout).toContain(`${long}/${'s'.repeat(256)}`);
  });

  it('refuses --timeout 0, negative, fractional and huge, and enum typos, with exit 2 naming the flag, before calling anyone', async () => {
    // Nothing listens on port 1: a usage error must come before any attempt to connect (which would be exit 5).
    const cases: [string[], RegExp][] = [
      [['list', '--timeout', '0'], /--timeout must be a whole number of at least 1, got "0"/],
      [['list', '--timeout=-5'], /--timeout must be a duration/],
      [['list', '--timeout', '1.5s'], /--timeout must be a duration/],
      [['list', '--timeout', '99999999999999999999'], /--timeout must be a whole number/],
      [['list', '--timeout', '1441m'], /--timeout must be at most a day/],
      [['list', '--status', 'pendng'], /--status "pendng" is not one of pending, approved, running/],
      [['list', '--status', 'pending,runing'], /--status "runing" is not one of/],
      [['propose', '--type', 'restart_service', '--node', 'n', '--service', 's', '--risk', 'dangerus'], /--risk "dangerus" is not one of safe, guarded, dangerous/],
      [['watch', '--status', 'ACTION_STATUS_PENDNG'], /--status "ACTION_STATUS_PENDNG" is not one of/],
      [['watch', '--timeout', '0'], /--timeout must be a whole number of at least 1/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli([...args, '--server', '127.0.0.1:1']);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('cannot reach');
    }
  });

  it('watch survives a server restarted under it: it reconnects and prints what happened meanwhile, once', async () => {
    const port = await freePort();
    const dataDir = tempDataDir();
    const listen = `127.0.0.1:${port}`;
    let t = await startTestServer({ listen }, dataDir);
    cleanups.push(() => t.stop());
    const tag = uniqueNode('restart');
    const child = startWatchProcess(['--server', listen, '--node', tag], cleanups);
    const { lines, exited } = child;

    const before = await proposeAction(t.actions, { node: tag });
    await waitFor(lines, (l) => l.length >= 1, { what: 'the first proposal', timeoutMs: 20_000 });

    // Shut down without removing the data directory, then start again on the same port and data.
    t.actions.close();
    await t.server.shutdown();
    await waitFor(() => child.stderr(), (s) => s.includes('reconnecting'), { what: 'watch to notice the server went away', timeoutMs: 20_000 });
    t = await startTestServer({ listen }, dataDir);
    await t.actions.reject({ actionId: before.actionId, reason: 'after the restart' });
    const after = await proposeAction(t.actions, { node: tag });

    const all = await waitFor(lines, (l) => l.length >= 3, { what: 'the events after the restart', timeoutMs: 30_000 });
    expect(all[0]).toContain(`${before.actionId}`);
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`${before.actionId} .* PENDING -> REJECTED .*"after the restart"$`)));
    expect(all).toContainEqual(expect.stringMatching(new RegExp(`${after.actionId} .* proposed -> PENDING`)));
    expect(all).toHaveLength(3);
    expect(child.exitCode()).toBeNull();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
