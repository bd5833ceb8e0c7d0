import { EVENTS_OF_A, type ActionWithEventsRow } from './actionReads.js';
import { statement, type Queryable } from './Statement.js';

// In id order, every one of them before any event is appended: the lock order all writers keep.
const LOCK_RUNNING = statement('lock_running', `SELECT a.*, ${EVENTS_OF_A} FROM actions a WHERE a.status = 'RUNNING' ORDER BY a.id FOR UPDATE OF a`);
const LOCK_PAUSED_BY_HALT = statement('lock_paused_by_halt', `SELECT a.*, ${EVENTS_OF_A} FROM actions a WHERE a.paused_by_halt ORDER BY a.id FOR UPDATE OF a`);
// The policy's rate limit per service: proposals of one service are judged one at a time across replicas.
const LOCK_SERVICE_APPROVALS = statement('lock_service_approvals', 'SELECT pg_advisory_xact_lock(1, hashtext($1))');

/** What a halt pauses or terminates, locked. */
export function lockRunning(q: Queryable): Promise<ActionWithEventsRow[]> {
  return q.run<ActionWithEventsRow>(LOCK_RUNNING, []);
}

/** What an unhalt may resume, locked. */
export function lockPausedByHalt(q: Queryable): Promise<ActionWithEventsRow[]> {
  return q.run<ActionWithEventsRow>(LOCK_PAUSED_BY_HALT, []);
}

export async function lockServiceApprovals(q: Queryable, service: string): Promise<void> {
  await q.run(LOCK_SERVICE_APPROVALS, [service]);
}
