import type { HistoryEvent } from '../../../domain/action.js';
import { statement, type Queryable } from './Statement.js';

// FOR UPDATE in READ COMMITTED: after waiting for another replica's commit it returns
// the row as that commit left it, so the chain continues from the latest committed event.
const LOCK_HEAD = statement('lock_history_head', 'SELECT sequence, hash FROM history_head WHERE id = 1 FOR UPDATE');

// One statement: the events, the new head, and the notification other replicas wake on
// (NOTIFY is delivered at COMMIT, and only if it commits).
const APPEND_EVENTS = statement(
  'append_events',
  `WITH inserted AS (
     INSERT INTO action_events (sequence, action_id, from_status, to_status, actor, reason, at, attempt, decision, hash, previous_hash)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::int[], $9::text[], $10::text[], $11::text[])
   ), head AS (
     UPDATE history_head SET sequence = $12, hash = $13 WHERE id = 1
   )
   SELECT pg_notify('actiongate_events', $12::text)`,
  { writes: true },
);

export interface HistoryHead {
  readonly sequence: number;
  readonly hash: string;
}

/** Locks the head of the history until the transaction ends: events are appended one transaction at a time. */
export async function lockHistoryHead(q: Queryable): Promise<HistoryHead> {
  const [head] = await q.run<{ sequence: number; hash: string }>(LOCK_HEAD, []);
  if (head === undefined) throw new Error('history_head has no row: the schema is incomplete');
  return head;
}

/** Inserts chained events (sequences following the locked head) and moves the head to the last. */
export async function appendEvents(q: Queryable, events: readonly HistoryEvent[]): Promise<void> {
  const last = events[events.length - 1];
  if (last === undefined) return;
  const column = <K extends keyof HistoryEvent>(key: K): HistoryEvent[K][] => events.map((e) => e[key]);
  await q.run(APPEND_EVENTS, [
    column('sequence'), column('actionId'), column('from'), column('to'), column('actor'), column('reason'),
    column('at'), column('attempt'), column('decision'), column('hash'), column('previousHash'),
    last.sequence, last.hash,
  ]);
}
