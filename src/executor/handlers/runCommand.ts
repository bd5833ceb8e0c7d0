import { spawn } from 'node:child_process';
import type { ExecutorLog } from '../ExecutorLog.js';
import { HandlerError } from '../HandlerError.js';
import type { CommandSpec } from '../HandlerSpec.js';
import { BoundedText } from './BoundedText.js';

export const STDOUT_LIMIT_BYTES = 16 * 1024;
export const STDERR_LIMIT_BYTES = 8 * 1024;
/** After the program exits, how long to wait for its stdio to close (a background grandchild may hold it). */
const STDIO_CLOSE_WAIT_MS = 2000;

export interface CommandOutcome {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly stdout: BoundedText;
  readonly stderr: BoundedText;
  /** Why the executor stopped it, or null when it ended on its own. */
  readonly stoppedBy: 'abort' | 'timeout' | null;
  readonly durationMs: number;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Runs `spec.command` without a shell in a process group of its own, writes
 * `input` to its stdin and collects bounded stdout and stderr. On abort or
 * timeout the whole group gets SIGTERM, then SIGKILL after the grace period;
 * the promise settles only once the program has exited, so "stopped" means gone.
 */
export function runCommand(spec: CommandSpec, input: string, env: NodeJS.ProcessEnv, abort: AbortSignal, log: ExecutorLog): Promise<CommandOutcome> {
  const [program, ...args] = spec.command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const stdout = new BoundedText(STDOUT_LIMIT_BYTES);
    const stderr = new BoundedText(STDERR_LIMIT_BYTES);
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
    let stoppedBy: CommandOutcome['stoppedBy'] = null;
    let exited = false;
    let killTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'abort' | 'timeout'): void => {
      if (stoppedBy !== null || child.pid === undefined) return;
      stoppedBy = why;
      log.warn({ pid: child.pid, why, killGraceSeconds: spec.killGraceSeconds }, 'stopping command: SIGTERM to its process group');
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        log.warn({ pid: child.pid }, 'command outlived its grace period: SIGKILL to its process group');
        killGroup(child.pid!, 'SIGKILL');
      }, spec.killGraceSeconds * 1000);
    };
    const timeout = setTimeout(() => stop('timeout'), spec.timeoutSeconds * 1000);
    const onAbort = (): void => stop('abort');
    const cleanup = (): void => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearTimeout(closeTimer);
      abort.removeEventListener('abort', onAbort);
    };

    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // 'close' follows and reports the outcome
      cleanup();
      reject(new HandlerError(`cannot start command ${program}: ${err.code ?? err.message}`, false, { cause: err }));
    });
    if (child.pid === undefined) return;
    const pid = child.pid;
    log.info({ pid, program }, 'command started');
    if (abort.aborted) onAbort();
    else abort.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin!.on('error', () => {
      // The program need not read its stdin; EPIPE is not a failure.
    });
    child.stdin!.end(input);
    child.once('exit', () => {
      exited = true;
      closeTimer = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }, STDIO_CLOSE_WAIT_MS);
    });
    child.once('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) => {
      cleanup();
      // When stopping it, leave nothing of it behind: stragglers in its group go too.
      if (stoppedBy !== null && exited) killGroup(pid, 'SIGKILL');
      const durationMs = Date.now() - started;
      log.info({ pid, exitCode, exitSignal, durationMs, stoppedBy }, 'command exited');
      resolve({ pid, exitCode, exitSignal, stdout, stderr, stoppedBy, durationMs });
    });
  });
}
