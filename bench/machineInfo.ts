import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { round3 } from './percentiles.js';

/* The machine and software a benchmark ran on, for its JSON report. */

export { round3 };

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
