import { sleep } from '../../shared/abortableWait.js';
import type { CommandRecord } from './CommandRecord.js';
import { signalGroup } from './processGroup.js';
import { canVerifyPids, readProcessStat } from './processStat.js';

/** How often a dying group is probed: its members are not our children, so no event says they left. */
const GROUP_POLL_MS = 100;
/** After SIGKILL, how long to wait for the group to empty before saying it did not. */
const AFTER_KILL_WAIT_MS = 5000;

/**
 * What became of a recorded command: `killed` (its group was still there and
 * is gone now), `survived` (still there after SIGKILL: unkillable, or zombies
 * nobody reaps), `gone` (nothing of it was left), `recycled` (its pid now
 * belongs to another process, left alone), `unverifiable` (no /proc to tell,
 * left alone).
 */
export type KillOutcome = 'killed' | 'survived' | 'gone' | 'recycled' | 'unverifiable';

/**
 * Whether the recorded command's process group is still the one it started.
 * The command leads its group, and Linux hands out no pid that is still some
 * group's id, so while any member of the group lives, its number is ours.
 */
export function recordedGroupState(record: CommandRecord): 'alive' | 'gone' | 'recycled' | 'unverifiable' {
  if (record.startTime === null || !canVerifyPids()) return 'unverifiable';
  const stat = readProcessStat(record.pid);
  if (stat !== null) return stat.startTime === record.startTime && stat.pgrp === record.pid ? 'alive' : 'recycled';
  // The leader is gone; members it started may not be.
  return signalGroup(record.pid, 0) ? 'alive' : 'gone';
}

async function groupGoneWithin(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!signalGroup(pgid, 0)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(GROUP_POLL_MS, Math.max(1, deadline - Date.now())));
  }
}

/**
 * Kills what is left of a recorded command after its supervisor is gone:
 * SIGTERM (and SIGCONT, in case it was paused) to its process group, SIGKILL
 * once its grace is over, having checked first that the pid still belongs to it.
 */
export async function killRecordedCommand(record: CommandRecord): Promise<KillOutcome> {
  const state = recordedGroupState(record);
  if (state !== 'alive') return state;
  const pgid = record.pid;
  signalGroup(pgid, 'SIGTERM');
  signalGroup(pgid, 'SIGCONT');
  if (await groupGoneWithin(pgid, record.killGraceSeconds * 1000)) return 'killed';
  signalGroup(pgid, 'SIGKILL');
  return (await groupGoneWithin(pgid, AFTER_KILL_WAIT_MS)) ? 'killed' : 'survived';
}
