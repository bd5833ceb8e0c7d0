import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type ExitStatus } from '../../support/childServer.js';

/** One JSON log line of the executor. */
export interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly actionId?: string;
  readonly [key: string]: unknown;
}

export type LogMatch = Partial<Record<string, unknown>> | ((entry: LogEntry) => boolean);

const READY_TIMEOUT_MS = 30_000;
const WAIT_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

/** `actiongate executor` as a child process, with its JSON log lines parsed as they arrive. */
export interface ChildExecutor {
  readonly process: ChildProcess;
  readonly logs: LogEntry[];
  readonly exited: Promise<ExitStatus>;
  /** Resolves with the first log entry from index `from` on that matches; fails after a deadline. */
  waitForLog(match: LogMatch, options?: { from?: number; timeoutMs?: number }): Promise<LogEntry>;
  /** Every entry so far that matches. */
  find(match: LogMatch): LogEntry[];
  /** Raw stdout and stderr, for failure messages. */
  output(): string;
  /** SIGTERM, wait for the exit; SIGKILL if it does not come within STOP_TIMEOUT_MS (then `forced`). */
  stop(): Promise<ExitStatus & { readonly forced: boolean }>;
}

const started = new Set<ChildExecutor>();

function matches(entry: LogEntry, match: LogMatch): boolean {
  if (typeof match === 'function') return match(entry);
  return Object.entries(match).every(([key, value]) => entry[key] === value);
}

function describe(match: LogMatch): string {
  return typeof match === 'function' ? match.toString() : JSON.stringify(match);
}

/**
 * Starts an executor against `server` and waits until it claims (its control stream is live).
 * Without a --state-dir in `args` it gets a fresh one, removed when it stops.
 */
export async function startExecutor(server: string, executorId: string, args: readonly string[] = [], options: { waitReady?: boolean } = {}): Promise<ChildExecutor> {
  const ownStateDir = args.includes('--state-dir') ? null : mkdtempSync(join(tmpdir(), 'actiongate-executor-state-'));
  const stateArgs = ownStateDir === null ? [] : ['--state-dir', ownStateDir];
  const child = spawn(
    process.execPath,
    ['bin/actiongate.js', 'executor', '--server', server, '--executor-id', executorId, '--log-level', 'info', '--poll-wait-seconds', '5', ...stateArgs, ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const logs: LogEntry[] = [];
  let raw = '';
  let pending = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogEntry);
      } catch {
        // Not a log line: kept in raw output only.
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let alive = true;
  void exited.then(() => {
    alive = false;
    for (const wake of waiters) wake();
  });

  const executor: ChildExecutor = {
    process: child,
    logs,
    exited,
    output: () => raw,
    find: (match) => logs.filter((entry) => matches(entry, match)),
    waitForLog(match, { from = 0, timeoutMs = WAIT_TIMEOUT_MS } = {}) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = logs.slice(from).find((entry) => matches(entry, match));
          if (found !== undefined) done(() => resolve(found));
          else if (!alive) done(() => reject(new Error(`the executor exited before logging ${describe(match)}:\n${raw}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no log line ${describe(match)} within ${timeoutMs} ms:\n${raw}`))), timeoutMs);
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      let forced = false;
      if (alive) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!alive) return;
        forced = true;
        child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      const status = await exited;
      clearTimeout(timer);
      started.delete(executor);
      if (ownStateDir !== null) rmSync(ownStateDir, { recursive: true, force: true });
      return { ...status, forced };
    },
  };
  started.add(executor);
  if (options.waitReady !== false) {
    try {
      await executor.waitForLog({ msg: 'executor ready: claiming' }, { timeoutMs: READY_TIMEOUT_MS });
    } catch (err) {
      await executor.stop();
      throw err;
    }
  }
  return executor;
}

/**
 * Stops every executor a test started and left running. Each must exit on
 * SIGTERM by itself; one that had to be SIGKILLed is reported, with its output.
 */
export async function stopAllExecutors(): Promise<void> {
  const left = [...started];
  const stopped = await Promise.all(left.map(async (e) => ({ executor: e, status: await e.stop() })));
  const stuck = stopped.filter(({ status }) => status.forced);
  if (stuck.length > 0) {
    throw new Error(`${stuck.length} executor(s) ignored SIGTERM and were killed:\n${stuck.map(({ executor }) => executor.output()).join('\n---\n')}`);
  }
}

/** Whether a process with this pid exists (signal 0 probes without killing). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
