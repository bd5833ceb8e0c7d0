import { statement, type Queryable } from './Statement.js';

/* The notification outbox: rows written with the transitions that cause them, claimed and settled by the notifiers of every replica. */

export interface OutboxRow {
  id: number;
  target: string;
  created_at: number;
  event_sequence: number | null;
  signal_sequence: number | null;
  attempts: number;
}

const INSERT_MESSAGES = statement(
  'insert_outbox',
  `INSERT INTO notification_outbox (target, created_at, event_sequence, signal_sequence, next_attempt_at)
   SELECT t.target, $1, n.event_sequence, n.signal_sequence, $1
   FROM unnest($2::text[]) AS t(target), unnest($3::bigint[], $4::bigint[]) AS n(event_sequence, signal_sequence)`,
  { writes: true },
);

/** One message per target for each subject (an event or a HALT signal, by sequence), in the caller's transaction. */
export async function insertMessages(
  q: Queryable,
  now: number,
  targets: readonly string[],
  subjects: readonly { readonly eventSequence: number | null; readonly signalSequence: number | null }[],
): Promise<void> {
  if (targets.length === 0 || subjects.length === 0) return;
  await q.run(INSERT_MESSAGES, [now, [...targets], subjects.map((s) => s.eventSequence), subjects.map((s) => s.signalSequence)]);
}

// SKIP LOCKED: a row another replica is claiming right now is passed over, not waited for;
// one it claimed already is not due any more. The claim is the row's next attempt moved
// past `$3`, so a replica that dies mid-delivery leaves the message to the others after that.
const CLAIM_DUE = statement(
  'claim_outbox',
  `WITH due AS (
     SELECT id, next_attempt_at FROM notification_outbox WHERE next_attempt_at <= $1
     ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
   ), claimed AS (
     UPDATE notification_outbox o SET next_attempt_at = $3 FROM due WHERE o.id = due.id
     RETURNING o.id, o.target, o.created_at, o.event_sequence, o.signal_sequence, o.attempts, due.next_attempt_at AS due_at
   )
   SELECT id, target, created_at, event_sequence, signal_sequence, attempts FROM claimed ORDER BY due_at, id`,
  { writes: true },
);

/** Up to `limit` messages due at `now`, earliest due first, each held for this caller until `heldUntil`. */
export function claimDue(q: Queryable, now: number, limit: number, heldUntil: number): Promise<OutboxRow[]> {
  return q.run<OutboxRow>(CLAIM_DUE, [now, limit, heldUntil]);
}

const DELETE_MESSAGE = statement('delete_outbox', 'DELETE FROM notification_outbox WHERE id = $1', { writes: true });
const POSTPONE_MESSAGE = statement(
  'postpone_outbox',
  'UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1',
  { writes: true },
);

export async function deleteMessage(q: Queryable, id: number): Promise<void> {
  await q.run(DELETE_MESSAGE, [id]);
}

export async function postponeMessage(q: Queryable, id: number, nextAttemptAt: number, error: string): Promise<void> {
  await q.run(POSTPONE_MESSAGE, [id, nextAttemptAt, error.slice(0, 1024)]);
}

// Only where the claim is still this caller's: one that lapsed and another replica took has another time.
const RELEASE_CLAIMS = statement(
  'release_outbox_claims',
  `UPDATE notification_outbox o SET next_attempt_at = $3
   FROM unnest($1::bigint[], $2::bigint[]) AS c(id, held_until) WHERE o.id = c.id AND o.next_attempt_at = c.held_until`,
  { writes: true },
);

/** Makes claimed messages that were neither delivered nor failed due at `now` again, for whichever replica asks next. */
export async function releaseClaims(q: Queryable, claims: ReadonlyMap<number, number>, now: number): Promise<void> {
  if (claims.size === 0) return;
  await q.run(RELEASE_CLAIMS, [[...claims.keys()], [...claims.values()], now]);
}
