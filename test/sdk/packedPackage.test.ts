import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ActionStatus, type Action } from '../../src/gen/actiongate/v1/action.js';
import { REPO_ROOT } from '../support/childServer.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, 'examples/executor.mjs');
/** How long the example may take to exit after its work is done: it must exit by itself, not be killed. */
const EXIT_TIMEOUT_MS = 20_000;

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the README's example with plain node from the project that installed the tarball. */
function startExample(project: string, env: Record<string, string>): { finished: Promise<Finished>; stdout(): string } {
  const child = spawn(process.execPath, ['executor.mjs'], { cwd: project, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS + 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { finished, stdout: () => stdout };
}

/**
 * The package as a user gets it: `npm pack`, installed into a fresh project that has no
 * TypeScript, driven from plain ESM JavaScript against a real server.
 */
describe('the packed package, from plain JavaScript', () => {
  let scratch: string;
  let project: string;
  let t: TestServer;
  let control: ControlClient;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'actiongate-pack-'));
    // dist/ is fresh: the test run built it (test/globalSetup.ts); --ignore-scripts keeps pack from rebuilding it under running tests.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: REPO_ROOT });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    expect(packed!.files.map((f) => f.path)).toContain('dist/index.js');
    expect(packed!.files.some((f) => f.path.startsWith('src/'))).toBe(false);
    project = join(scratch, 'user-project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    // The SDK needs no native module: skipping install scripts leaves better-sqlite3 unbuilt, which also
    // shows that importing the SDK never loads the server's store.
    await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(scratch, packed!.filename)], {
      cwd: project,
      timeout: 240_000,
    });
    copyFileSync(EXAMPLE, join(project, 'executor.mjs'));
    t = await startTestServer({ sweepIntervalMs: 100 });
    control = new ControlClient(t.address);
  }, 300_000);

  afterAll(async () => {
    control?.close();
    await t?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  async function approvedRedeploy(): Promise<Action> {
    const { action } = await t.actions.propose({ actionType: 'redeploy_service', node: 'web-3', service: 'checkout', confidence: 0.9 });
    await t.actions.approve({ actionId: action!.actionId, reason: 'go' });
    return action!;
  }

  it('installs without TypeScript and exposes the SDK with its types', () => {
    expect(existsSync(join(project, 'node_modules/typescript'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/actiongate/package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
    expect(existsSync(join(project, 'node_modules/actiongate', manifest.exports['.']!.types))).toBe(true);
  });

  it('keeps the lease through work longer than the lease, completes once, and exits by itself', async () => {
    const action = await approvedRedeploy();
    // Three 1.5 s steps under a 2 s lease: without heartbeats the sweeper would take the action back at 2 s.
    const example = startExample(project, { ACTIONGATE_SERVER: t.address, ACTIONGATE_EXECUTOR_ID: 'sdk-user-1', STEP_SECONDS: '1.5', LEASE_TTL_SECONDS: '2' });
    const finished = await example.finished;
    expect(finished, finished.stderr).toMatchObject({ code: 0, signal: null });
    expect(finished.stdout).toContain(`${action.actionId}: completed`);
    const done = (await t.actions.getAction({ actionId: action.actionId })).action!;
    expect(done.status).toBe(ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.attempt).toBe(1);
    expect(done.history.map((e) => e.to)).toEqual([
      ActionStatus.ACTION_STATUS_PENDING, ActionStatus.ACTION_STATUS_APPROVED, ActionStatus.ACTION_STATUS_RUNNING, ActionStatus.ACTION_STATUS_COMPLETED,
    ]);
    expect(done.result).toEqual({ redeployed: 'checkout' });
  });

  it('receives a terminate over its control stream, stops the work at once, and exits cleanly', async () => {
    const action = await approvedRedeploy();
    const example = startExample(project, { ACTIONGATE_SERVER: t.address, ACTIONGATE_EXECUTOR_ID: 'sdk-user-2', STEP_SECONDS: '600', LEASE_TTL_SECONDS: '30' });
    await waitFor(() => example.stdout(), (out) => out.includes('drain: checkout on web-3'), { what: 'the example to start its first step' });
    const started = Date.now();
    const { signal } = await control.terminate(action.actionId, 'wrong cluster');
    const finished = await example.finished;
    expect(finished, finished.stderr).toMatchObject({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(EXIT_TIMEOUT_MS);
    expect(finished.stdout).toContain(`${action.actionId}: stopped`);
    expect(finished.stdout).not.toContain('deploy: checkout');
    const state = await control.getControlState(action.actionId);
    expect(state.action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    // The executor applied the terminate and said so.
    expect(state.action?.acknowledgements.map((a) => [a.executorId, a.sequence])).toContainEqual(['sdk-user-2', signal!.sequence]);
  });

  it('is the example the README shows', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(readFileSync(EXAMPLE, 'utf8').trim());
  });
});
