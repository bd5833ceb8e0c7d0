import type { HistoryEvent } from '../../../domain/action.js';
import { ConflictError } from '../../../domain/errors.js';
import type { ActionWrite } from '../HeldActions.js';
import { CHANGE_COLUMNS, INSERT_COLUMNS, insertValues } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

/*
 * What a group-commit batch changed, written in one statement rather than one per step.
 * The rows travel as one JSON array each, turned back into `actions` rows by
 * json_populate_recordset (keys are column names). An update is guarded on the version
 * before it (each write moves the version on by one): the rows are locked by the
 * transaction, so a row that does not match means a caller broke that rule, and the
 * whole write is refused rather than half made.
 */
const ACTION_WRITES = `inserted AS (
     INSERT INTO actions SELECT * FROM json_populate_recordset(NULL::actions, $1::json)
   ), updated AS (
     UPDATE actions a SET ${CHANGE_COLUMNS.map((c) => `${c} = r.${c}`).join(', ')}
     FROM json_populate_recordset(NULL::actions, $2::json) r
     WHERE a.id = r.id AND a.version = r.version - 1
     RETURNING a.id
   )`;

const WRITE_ACTIONS = statement('write_actions', `WITH ${ACTION_WRITES} SELECT (SELECT COUNT(*) FROM updated)::int AS updated`, { writes: true });

// With the events: the new head of the history, and the notification other replicas wake on
// (NOTIFY is delivered at COMMIT, and only if it commits). The events' foreign keys are
// checked at the end of the statement, so they may name actions it inserts.
const WRITE_ACTIONS_AND_EVENTS = statement(
  'write_actions_and_events',
  `WITH ${ACTION_WRITES}, events AS (
     INSERT INTO action_events (sequence, action_id, from_status, to_status, actor, reason, at, attempt, decision, hash, previous_hash)
     SELECT * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::int[], $11::text[], $12::text[], $13::text[])
   ), head AS (
     UPDATE history_head SET sequence = $14, hash = $15 WHERE id = 1
   )
   SELECT (SELECT COUNT(*) FROM updated)::int AS updated, pg_notify('actiongate_events', $14::text)`,
  { writes: true },
);

function rowsJson(writes: readonly ActionWrite[]): string {
  return JSON.stringify(writes.map(({ action, version }) => {
    const values = insertValues(action, version);
    return Object.fromEntries(INSERT_COLUMNS.map((column, i) => [column, values[i]]));
  }));
}

export interface BatchWrites {
  readonly inserts: readonly ActionWrite[];
  readonly updates: readonly ActionWrite[];
}

function requireAllUpdated(rows: readonly { updated: number }[], updates: readonly ActionWrite[]): void {
  const updated = rows[0]?.updated ?? 0;
  if (updated !== updates.length) {
    throw new ConflictError(`${updates.length - updated} of ${updates.length} actions changed while this batch decided them; try again`);
  }
}

/** Inserts and updates actions in one statement. */
export async function writeActions(q: Queryable, writes: BatchWrites): Promise<void> {
  if (writes.inserts.length === 0 && writes.updates.length === 0) return;
  requireAllUpdated(await q.run<{ updated: number }>(WRITE_ACTIONS, [rowsJson(writes.inserts), rowsJson(writes.updates)]), writes.updates);
}

/**
 * Inserts and updates actions, inserts chained events (sequences following the locked
 * history head) and moves the head to the last of them, in one statement.
 */
export async function writeActionsAndEvents(q: Queryable, writes: BatchWrites, events: readonly HistoryEvent[]): Promise<void> {
  const last = events[events.length - 1];
  if (last === undefined) return writeActions(q, writes);
  const column = <K extends keyof HistoryEvent>(key: K): HistoryEvent[K][] => events.map((e) => e[key]);
  const rows = await q.run<{ updated: number }>(WRITE_ACTIONS_AND_EVENTS, [
    rowsJson(writes.inserts), rowsJson(writes.updates),
    column('sequence'), column('actionId'), column('from'), column('to'), column('actor'), column('reason'),
    column('at'), column('attempt'), column('decision'), column('hash'), column('previousHash'),
    last.sequence, last.hash,
  ]);
  requireAllUpdated(rows, writes.updates);
}
