import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Linux only: both figures come from /proc.
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The fields of /proc/PID/stat after the parenthesised command name (field 3 of the whole line is [0]). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds a process has used so far, all its threads included. */
export function processCpuSeconds(pid: number): number {
  // utime and stime are fields 14 and 15 of the whole line.
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far by every process named `command` (its `comm`), with the children
 * they reaped: for `postgres`, the server's backends, those that ended included (the
 * postmaster reaps them). 0 when there is none on this machine.
 */
export function commandCpuSeconds(command: string): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== command) continue;
      // utime, stime, cutime, cstime: fields 14 to 17 of the whole line.
      const fields = statFields(stat);
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // The process ended while the list was read.
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds the whole machine has spent busy so far (every core, every process, the
 * kernel; steal included, idle and iowait not). Compared with what the bench's own
 * processes used, it shows how much else was running during a measurement.
 */
export function machineBusyCpuSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS_PER_SECOND;
}
