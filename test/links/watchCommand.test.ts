import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { proposeAction, uniqueNode } from '../support/actionFactory.js';
import { REPO_ROOT, type ExitStatus } from '../support/childServer.js';
import type { FreezableProxy } from '../support/freezableProxy.js';
import { cleanupsAfterEach, startProxiedServer } from '../support/proxiedServer.js';
import type { TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const run = promisify(execFile);

interface WatchLine {
  readonly event?: { readonly sequence: string; readonly actionId: string; readonly to: string; readonly node: string };
  readonly signal?: { readonly sequence: string; readonly actionId: string; readonly signal: string };
}

interface Watcher {
  /** The transitions ({"event": ...} lines). */
  readonly lines: WatchLine[];
  /** The control signals ({"signal": ...} lines). */
  readonly signals: WatchLine[];
  stderr(): string;
  /** SIGTERM, then the exit status. */
  stop(): Promise<ExitStatus>;
}

function startWatch(args: readonly string[]): Watcher {
  const child: ChildProcess = spawn(process.execPath, ['bin/actiongate.js', 'watch', '--json', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: WatchLine[] = [];
  const signals: WatchLine[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) {
      const parsed = JSON.parse(line) as WatchLine;
      (parsed.event === undefined ? signals : lines).push(parsed);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    lines,
    signals,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('actiongate watch', () => {
  let t: TestServer;
  let proxy: FreezableProxy;
  const cleanups = cleanupsAfterEach();

  async function setUp(): Promise<void> {
    ({ t, proxy } = await startProxiedServer(cleanups));
  }

  it('prints one JSON line per event and, when its link freezes, reconnects and resumes after the last one printed', async () => {
    await setUp();
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const node = uniqueNode('watch');
    const watcher = startWatch(['--server', proxy.address, '--node', node, '--keepalive-time-ms', '1000', '--keepalive-timeout-ms', '1000']);
    cleanups.push(() => watcher.stop());

    const first = await proposeAction(t.actions, { node });
    await t.actions.approve({ actionId: first.actionId, reason: 'go' });
    await waitFor(() => watcher.lines.length, (n) => n >= 2, { what: 'the first two events', timeoutMs: 20_000 });

    proxy.freeze();
    // Committed while the link is frozen: dropped on the way, so they must come from the resumed stream.
    await control.terminate(first.actionId, 'not now');
    const second = await proposeAction(t.actions, { node });
    await waitFor(() => watcher.lines.length, (n) => n >= 4, { what: 'the events committed while frozen', timeoutMs: 30_000 });
    expect(watcher.stderr()).toMatch(/stream ended \(UNAVAILABLE: .*\); reconnecting in \d+ ms after sequence \d+/);

    const expected = [
      ...(await t.actions.getAction({ actionId: first.actionId })).action!.history,
      ...(await t.actions.getAction({ actionId: second.actionId })).action!.history,
    ].map((event) => event.sequence).sort((a, b) => Number(a) - Number(b));
    // Every event exactly once, in order: nothing replayed twice after the reconnect, nothing lost.
    expect(watcher.lines.map((line) => line.event!.sequence)).toEqual(expected);
    expect(watcher.lines.map((line) => line.event!.to)).toEqual([
      'ACTION_STATUS_PENDING', 'ACTION_STATUS_APPROVED', 'ACTION_STATUS_TERMINATED', 'ACTION_STATUS_PENDING',
    ]);
    expect(new Set(watcher.lines.map((line) => line.event!.node))).toEqual(new Set([node]));
    // The terminate's signal, sent while frozen too, arrives once.
    await waitFor(() => watcher.signals.length, (n) => n >= 1, { what: 'the TERMINATE signal' });
    expect(watcher.signals.map((line) => [line.signal!.signal, line.signal!.actionId])).toEqual([['SIGNAL_TERMINATE', first.actionId]]);
    expect(proxy.accepted).toBeGreaterThan(1);
    expect(await watcher.stop()).toEqual({ code: 0, signal: null });
  });

  it('starts after --after-sequence and filters by --status', async () => {
    await setUp();
    const node = uniqueNode('watch');
    const first = await proposeAction(t.actions, { node });
    const created = (await t.actions.getAction({ actionId: first.actionId })).action!.history[0]!.sequence;
    await t.actions.approve({ actionId: first.actionId, reason: 'go' });
    const second = await proposeAction(t.actions, { node });
    await t.actions.reject({ actionId: second.actionId, reason: 'no' });

    const watcher = startWatch(['--server', t.address, '--node', node, '--after-sequence', created, '--status', 'approved', '--status', 'REJECTED']);
    cleanups.push(() => watcher.stop());
    await waitFor(() => watcher.lines.length, (n) => n >= 2, { what: 'the approve and the reject' });
    expect(watcher.lines.map((line) => [line.event!.actionId, line.event!.to])).toEqual([
      [first.actionId, 'ACTION_STATUS_APPROVED'],
      [second.actionId, 'ACTION_STATUS_REJECTED'],
    ]);
    expect(await watcher.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses a bad option with a message naming it, and exits 2', async () => {
    const refused = await run(process.execPath, ['bin/actiongate.js', 'watch', '--status', 'finished'], { cwd: REPO_ROOT }).catch((err: { code: number; stderr: string }) => err);
    expect('code' in refused && refused.code).toBe(2);
    expect(refused.stderr).toContain('is not one of pending, approved, running');
    expect(refused.stderr).toContain('"finished"');
  });
});
