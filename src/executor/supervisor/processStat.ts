import { readFileSync } from 'node:fs';

/** What /proc/PID/stat says about a process: enough to tell it from a later one given the same pid. */
export interface ProcessStat {
  /** R, S, D, T (stopped), Z (zombie), ... */
  readonly state: string;
  readonly pgrp: number;
  /** Field 22, clock ticks after boot: a recycled pid never has its predecessor's. */
  readonly startTime: string;
}

/**
 * Reads /proc/PID/stat; null when no such process exists or the system has
 * no /proc (then a recorded pid cannot be verified and is left alone).
 */
export function readProcessStat(pid: number): ProcessStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || pgrp === undefined || startTime === undefined) return null;
  return { state, pgrp: Number(pgrp), startTime };
}

/** Whether this system has /proc to verify pids with. */
export function canVerifyPids(): boolean {
  return readProcessStat(process.pid) !== null;
}
