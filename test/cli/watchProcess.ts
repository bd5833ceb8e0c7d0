import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../support/childServer.js';

/** `actiongate watch` as a child process, its output collected. */
export interface WatchProcess {
  /** Its non-empty stdout lines so far. */
  lines(): string[];
  stdout(): string;
  stderr(): string;
  /** Its exit code. */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** Null while it runs. */
  exitCode(): number | null;
}

/** Starts `actiongate watch ARGS` without colour; `cleanups` kills it after the test if it still runs. */
export function startWatchProcess(args: readonly string[], cleanups: (() => Promise<unknown> | void)[]): WatchProcess {
  const child = spawn(process.execPath, ['bin/actiongate.js', 'watch', ...args], {
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
  return {
    lines: () => stdout.split('\n').filter((l) => l !== ''),
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => child.kill(signal),
    exitCode: () => child.exitCode,
  };
}
