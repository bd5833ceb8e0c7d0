/**
 * Sends `signal` to every process in group `pgid`; false when the group is
 * gone. Signal 0 only asks whether the group has a member left.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
