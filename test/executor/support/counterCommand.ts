import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcessStat } from '../../../src/executor/supervisor/processStat.js';
import { waitFor } from '../../support/waitFor.js';
import { processExists } from './childExecutor.js';
import { FIXTURES } from './executorFixture.js';

export interface CounterPids {
  readonly pid: number;
  readonly grandchildPid: number | null;
}

/** A handlers-file entry running fixtures/counter.mjs in `dir` for `ticks` ticks of 100 ms. */
export function counterHandler(dir: string, ticks: number, flags: readonly string[], spec: { timeoutSeconds?: number; killGraceSeconds?: number } = {}): Record<string, unknown> {
  return { command: [process.execPath, `${FIXTURES}counter.mjs`, dir, String(ticks), ...flags], timeoutSeconds: 120, killGraceSeconds: 1, ...spec };
}

/** The pids the counter fixture recorded, once it has. */
export function counterPids(dir: string): Promise<CounterPids> {
  const file = join(dir, 'pids.json');
  return waitFor(() => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CounterPids) : null), (p) => p !== null, { what: 'the command to record its pids' }) as Promise<CounterPids>;
}

/** Ticks the counter fixture has written so far. */
export function ticksWritten(dir: string): number {
  const file = join(dir, 'counter');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0;
}

/** The process's state letter from /proc (T: stopped), or null once it is gone. */
export function processState(pid: number): string | null {
  return readProcessStat(pid)?.state ?? null;
}

/** Waits until none of `pids` exists (probing with signal 0), for at most `timeoutMs`. */
export function waitUntilGone(pids: readonly number[], timeoutMs: number, what: string): Promise<unknown> {
  return waitFor(() => pids.filter(processExists), (alive) => alive.length === 0, { timeoutMs, what });
}

/** For afterEach: kills what a failed test may have left, stopped ones included. */
export function killLeftovers(pids: number[]): void {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
