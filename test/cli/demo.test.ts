import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { REPO_ROOT } from '../support/childServer.js';
import { waitFor } from '../support/waitFor.js';
import { runCli } from '../startup/runCli.js';

/** A printed command line's words, quotes removed, without the leading `actiongate`. */
function words(line: string): string[] {
  return [...line.trim().matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
}

describe('actiongate demo', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('runs a server, an agent and an executor; the printed commands work; Ctrl-C stops it all and removes its directory', async () => {
    // Its own process group, as in a terminal: Ctrl-C reaches the demo and its children at once.
    const demo = spawn(process.execPath, ['bin/actiongate.js', 'demo'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, detached: true });
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (demo.exitCode === null) process.kill(-demo.pid!, 'SIGKILL');
      await exited;
    });
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stdout, (out) => out.includes('Ctrl-C stops'), { what: `the demo to start (stderr: ${stderr})`, timeoutMs: 40_000 });

    const lines = stdout.split('\n');
    const inbox = /inbox: +(http:\/\/127\.0\.0\.1:\d+\/)$/.exec(lines.find((l) => l.includes('inbox:'))!)![1]!;
    const token = /token: +(\S+)/.exec(lines.find((l) => l.includes('token:'))!)![1]!;
    const dataDir = /data in (\S+)\)/.exec(stdout)![1]!;
    const command = (name: string): string[] => words(lines.find((l) => l.trim().startsWith(`actiongate ${name} `))!);
    expect(existsSync(dataDir)).toBe(true);
    // The side port serves (the inbox is at its root).
    expect((await fetch(new URL('/metrics', inbox))).status).toBe(200);

    const listed = await runCli(command('list'));
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(6);
    expect(listed.stdout).toContain('DANGEROUS');
    expect(listed.stdout.match(/ SAFE /g)).toHaveLength(3);

    const approve = command('approve');
    const terminate = command('terminate');
    expect((await runCli(approve)).code).toBe(0);
    expect((await runCli(terminate)).code).toBe(0);
    const server = approve[approve.indexOf('--server') + 1]!;
    const client = new ActionClient(server, { token });
    cleanups.push(() => client.close());
    // The demo executor runs the approved action in simulation.
    await waitFor(async () => (await client.getAction({ actionId: approve[1]! })).action!.status, (s) => s === ActionStatus.ACTION_STATUS_COMPLETED, { what: 'the approved action to complete', timeoutMs: 30_000 });
    expect((await client.getAction({ actionId: terminate[1]! })).action!.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);

    process.kill(-demo.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    expect(stderr).toContain('stopped');
  });
});
