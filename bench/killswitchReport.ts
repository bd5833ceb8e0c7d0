import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { percentiles, type LatencySummary } from './percentiles.js';

export { median } from './percentiles.js';

export { machineInfo, round3 } from './machineInfo.js';

export function summarize(samples: readonly number[]): LatencySummary {
  return percentiles(Float64Array.from(samples));
}

/** Resident set size of a process, in KiB, from /proc/PID/status (Linux). */
export function residentKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

let collector: (() => void) | undefined;

/** A full GC in this process, so heap figures compare like with like (no --expose-gc needed on the command line). */
export function collectGarbage(): void {
  if (collector === undefined) {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  }
  collector();
}

