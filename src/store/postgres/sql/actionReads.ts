import type { ActionFilter, ClaimFilter } from '../../ActionStore.js';
import type { ActionRow, EventRow } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

/** An action row and its committed history, in one statement (the history as JSON, sequence order). */
export type ActionWithEventsRow = ActionRow & { events: EventRow[] };

/** The action's committed history as a JSON column `events`, for a query over `actions a`. */
export const EVENTS_OF_A = `COALESCE((
  SELECT json_agg(json_build_object(
    'sequence', e.sequence, 'action_id', e.action_id, 'from_status', e.from_status, 'to_status', e.to_status,
    'actor', e.actor, 'reason', e.reason, 'at', e.at, 'attempt', e.attempt, 'decision', e.decision,
    'hash', e.hash, 'previous_hash', e.previous_hash,
    'action_type', a.action_type, 'node', a.node, 'service', a.service) ORDER BY e.sequence)
  FROM action_events e WHERE e.action_id = a.id), '[]'::json) AS events`;

/**
 * A locked row with the version the statement's snapshot holds of it. Under READ COMMITTED a
 * statement that waited for another transaction's lock returns the row as that transaction
 * left it, but its subqueries still read the snapshot taken before the wait: when the two
 * versions differ, the history in `events` misses what that transaction appended.
 */
export type LockedActionRow = ActionWithEventsRow & { seen_version: number | null };

const SEEN_VERSION = '(SELECT s.version FROM actions s WHERE s.id = a.id) AS seen_version';
const LOCK_ACTION = statement('lock_action', `SELECT a.*, ${SEEN_VERSION}, ${EVENTS_OF_A} FROM actions a WHERE a.id = $1 FOR UPDATE OF a`);
// In id order, so two transactions locking overlapping sets take their common rows in the same order.
const LOCK_ACTIONS = statement(
  'lock_actions',
  `SELECT a.*, ${SEEN_VERSION}, ${EVENTS_OF_A} FROM actions a WHERE a.id = ANY($1::text[]) ORDER BY a.id FOR UPDATE OF a`,
);
// A statement of its own takes a fresh snapshot, which holds every commit the lock waited for.
const HISTORIES = statement('histories', `SELECT a.id, ${EVENTS_OF_A} FROM actions a WHERE a.id = ANY($1::text[])`);
const READ_ACTION = statement('read_action', `SELECT a.*, ${EVENTS_OF_A} FROM actions a WHERE a.id = $1`);
const BY_IDEMPOTENCY_KEY = statement(
  'action_by_idempotency_key',
  `SELECT a.*, ${EVENTS_OF_A} FROM actions a WHERE a.proposed_by = $1 AND a.idempotency_key = $2`,
);
// SKIP LOCKED: a row another replica is claiming right now is passed over, not waited for.
const LOCK_CLAIMABLE = statement(
  'lock_claimable',
  `SELECT a.*, ${SEEN_VERSION}, ${EVENTS_OF_A} FROM actions a
   WHERE a.status = 'APPROVED' AND a.control = 'NONE'
     AND (cardinality($1::text[]) = 0 OR a.action_type = ANY($1::text[]))
     AND (cardinality($2::text[]) = 0 OR a.node = ANY($2::text[]))
   ORDER BY a.id LIMIT 1 FOR UPDATE OF a SKIP LOCKED`,
);

async function first<R>(rows: Promise<R[]>): Promise<R | null> {
  return (await rows)[0] ?? null;
}

/** The action, locked until the transaction ends, so the step decided from it cannot race another replica's. */
export async function lockAction(q: Queryable, actionId: string): Promise<ActionWithEventsRow | null> {
  const row = await first(q.run<LockedActionRow>(LOCK_ACTION, [actionId]));
  return row === null ? null : (await withWholeHistory(q, [row]))[0]!;
}

/** The actions that exist of `actionIds`, locked until the transaction ends. */
export async function lockActions(q: Queryable, actionIds: readonly string[]): Promise<ActionWithEventsRow[]> {
  return withWholeHistory(q, await q.run<LockedActionRow>(LOCK_ACTIONS, [[...actionIds]]));
}

/** Locked rows whose history the lock's statement read from before a commit it waited for get it read again. */
async function withWholeHistory(q: Queryable, rows: LockedActionRow[]): Promise<ActionWithEventsRow[]> {
  const stale = rows.filter((row) => row.seen_version !== row.version).map((row) => row.id);
  if (stale.length === 0) return rows;
  const fresh = new Map((await q.run<{ id: string; events: EventRow[] }>(HISTORIES, [stale])).map((row) => [row.id, row.events]));
  return rows.map((row) => ({ ...row, events: fresh.get(row.id) ?? row.events }));
}

export function readAction(q: Queryable, actionId: string): Promise<ActionWithEventsRow | null> {
  return first(q.run<ActionWithEventsRow>(READ_ACTION, [actionId]));
}

export function actionByIdempotencyKey(q: Queryable, proposedBy: string, key: string): Promise<ActionWithEventsRow | null> {
  return first(q.run<ActionWithEventsRow>(BY_IDEMPOTENCY_KEY, [proposedBy, key]));
}

/**
 * The oldest claimable APPROVED action that matches, locked; null when there is none free.
 * SKIP LOCKED waits for nobody, but a row changed by a commit after the snapshot is still
 * returned as that commit left it, so its history is checked like any locked row's.
 */
export async function lockClaimable(q: Queryable, filter: ClaimFilter): Promise<ActionWithEventsRow | null> {
  const row = await first(q.run<LockedActionRow>(LOCK_CLAIMABLE, [[...filter.actionTypes], [...filter.nodes]]));
  return row === null ? null : (await withWholeHistory(q, [row]))[0]!;
}

const LIST_ACTIONS = statement(
  'list_actions',
  `SELECT a.* FROM actions a
   WHERE (cardinality($1::text[]) = 0 OR a.status = ANY($1::text[]))
     AND ($2 = '' OR a.node = $2) AND ($3 = '' OR a.service = $3) AND ($4 = '' OR a.action_type = $4)
     AND ($5::text IS NULL OR a.id < $5)
   ORDER BY a.id DESC LIMIT $6`,
);

/** Newest first; `beforeId` continues a page. */
export function listActions(q: Queryable, filter: ActionFilter, limit: number, beforeId: string | null): Promise<ActionRow[]> {
  const statuses = [...new Set(filter.statuses ?? [])];
  return q.run<ActionRow>(LIST_ACTIONS, [statuses, filter.node ?? '', filter.service ?? '', filter.actionType ?? '', beforeId, limit]);
}

const READ_EVENTS = statement(
  'read_events',
  `SELECT e.*, a.action_type, a.node, a.service FROM action_events e JOIN actions a ON a.id = e.action_id
   WHERE e.sequence > $1
     AND (cardinality($2::text[]) = 0 OR e.to_status = ANY($2::text[]))
     AND ($3 = '' OR a.node = $3) AND ($4 = '' OR a.service = $4) AND ($5 = '' OR a.action_type = $5)
   ORDER BY e.sequence LIMIT $6`,
);

/** Committed history events after `afterSequence` that pass `filter`, in sequence order. */
export function readEvents(q: Queryable, afterSequence: number, filter: ActionFilter, limit: number): Promise<EventRow[]> {
  return q.run<EventRow>(READ_EVENTS, [afterSequence, [...(filter.statuses ?? [])], filter.node ?? '', filter.service ?? '', filter.actionType ?? '', limit]);
}

const EXPIRED = statement(
  'expired',
  `(SELECT 'lease' AS kind, id FROM actions WHERE status = 'RUNNING' AND lease_expires_at <= $1 ORDER BY lease_expires_at LIMIT $2)
   UNION ALL
   (SELECT 'pending', id FROM actions WHERE status = 'PENDING' AND expires_at <= $1 ORDER BY expires_at LIMIT $2)
   UNION ALL
   (SELECT 'approval', id FROM actions WHERE status = 'APPROVED' AND attempt = 0 AND expires_at <= $1 ORDER BY expires_at LIMIT $2)`,
);

export async function findExpired(q: Queryable, now: number, limit: number): Promise<{ leases: string[]; pending: string[]; approvals: string[] }> {
  const rows = await q.run<{ kind: string; id: string }>(EXPIRED, [now, limit]);
  const of = (kind: string): string[] => rows.filter((r) => r.kind === kind).map((r) => r.id);
  return { leases: of('lease'), pending: of('pending'), approvals: of('approval') };
}

const APPROVALS_SINCE = statement(
  'approvals_since',
  'SELECT COUNT(*)::int AS count FROM actions WHERE service = $1 AND created_at > $2 AND policy_would_approve',
);

/** Would-approve verdicts for `service` since `since`: what the policy's rate limit counts. */
export async function approvalsSince(q: Queryable, service: string, since: number): Promise<number> {
  const rows = await q.run<{ count: number }>(APPROVALS_SINCE, [service, since]);
  return rows[0]?.count ?? 0;
}
