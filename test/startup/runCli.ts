import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { REPO_ROOT } from '../support/childServer.js';

/** A start-up failure is reported at once; this bounds "at once" generously for a loaded machine. */
export const EXIT_WITHIN_MS = 20_000;

export interface CliRun {
  /** null when it had to be killed: it did not exit by itself within the bound. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `actiongate ARGS` (the compiled build, as an operator would) to its exit; kills it
 * if it outlives EXIT_WITHIN_MS. With `until`, sends SIGTERM once its stdout satisfies it;
 * `env` is added to this process's environment.
 */
export function runCli(args: readonly string[], { until, env = {} }: { until?: (stdout: string) => boolean; env?: Readonly<Record<string, string>> } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['bin/actiongate.js', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (until?.(stdout) === true) child.kill('SIGTERM');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `actiongate serve` on a port of its own choosing (port 0), so only the data directory or the flag under test can stop it. */
export function runServe(dataDir: string, extraArgs: readonly string[] = []): Promise<CliRun> {
  return runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs]);
}

/**
 * The run failed the way an operator should see it: a non-zero exit of its own, one
 * non-empty line on stderr holding every expected fragment, and no stack trace anywhere.
 * Returns that line.
 */
export function expectOneLineFailure(run: CliRun, ...fragments: readonly string[]): string {
  const context = `exit ${run.code}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`;
  expect(run.code, context).not.toBeNull();
  expect(run.code, context).not.toBe(0);
  const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines, context).toHaveLength(1);
  const line = lines[0]!;
  expect(line.startsWith('actiongate: '), context).toBe(true);
  for (const fragment of fragments) expect(line, context).toContain(fragment);
  expect(run.stderr + run.stdout, context).not.toMatch(/^\s+at /m);
  expect(run.stdout.trim(), context).toBe('');
  return line;
}
