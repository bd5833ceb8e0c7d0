/**
 * One running command as the executor writes it to its state directory, so
 * that a later instance can kill it if this one dies without doing so.
 */
export interface CommandRecord {
  /** The command; also its process group id (it leads the group). */
  readonly pid: number;
  /** /proc/PID/stat start time of the command: tells it from a later process given the same pid. Null without /proc. */
  readonly startTime: string | null;
  readonly actionId: string;
  readonly program: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly killGraceSeconds: number;
  readonly supervisorPid: number;
  /** The executor that ran it, to leave alone the commands of one still alive. */
  readonly executorPid: number;
  readonly executorStartTime: string | null;
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** The record in `text`, or null when it is not one (a torn or foreign file). */
export function parseCommandRecord(text: string): CommandRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const ok = isWholeNumber(r.pid) && r.pid > 1 && isStringOrNull(r.startTime) && typeof r.actionId === 'string' && typeof r.program === 'string'
    && typeof r.startedAt === 'string' && typeof r.killGraceSeconds === 'number' && Number.isFinite(r.killGraceSeconds) && r.killGraceSeconds >= 0
    && isWholeNumber(r.supervisorPid) && isWholeNumber(r.executorPid) && isStringOrNull(r.executorStartTime);
  return ok ? (r as unknown as CommandRecord) : null;
}
