import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { percentiles, type LatencySummary } from './percentiles.js';

export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export function summarize(samples: readonly number[]): LatencySummary {
  return percentiles(Float64Array.from(samples));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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

function versionOf(pkg: string): string {
  return (createRequire(import.meta.url)(`${pkg}/package.json`) as { version: string }).version;
}

function git(repo: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo(repo: string) {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverageAtStart: os.loadavg().map(round3),
    tmpdir: os.tmpdir(),
    grpcJs: versionOf('@grpc/grpc-js'),
    betterSqlite3: versionOf('better-sqlite3'),
    rxjs: versionOf('rxjs'),
    commit: git(repo, ['rev-parse', '--short', 'HEAD']),
    worktreeDirty: git(repo, ['status', '--porcelain', '--', 'src']) !== '',
  };
}
