import type { Action } from '../../../domain/action.js';
import { CHANGE_COLUMNS, changeValues, INSERT_COLUMNS, insertValues } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

const placeholders = (from: number, count: number): string => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');

// ON CONFLICT: another replica inserted the same proposer's idempotency key first; the caller replays it.
const INSERT_ACTION = statement(
  'insert_action',
  `INSERT INTO actions (${INSERT_COLUMNS.join(', ')}) VALUES (${placeholders(1, INSERT_COLUMNS.length)})
   ON CONFLICT (proposed_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
   RETURNING version`,
  { writes: true },
);

// The guard: the row is written only if it is still the version the step was decided from.
const UPDATE_ACTION = statement(
  'update_action',
  `UPDATE actions SET ${CHANGE_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(', ')}
   WHERE id = $${CHANGE_COLUMNS.length + 1} AND version = $${CHANGE_COLUMNS.length + 2}
   RETURNING version`,
  { writes: true },
);

/** Inserts a new action at `version`; false when its idempotency key was taken meanwhile. */
export async function insertAction(q: Queryable, action: Action, version: number): Promise<boolean> {
  const rows = await q.run(INSERT_ACTION, insertValues(action, version));
  return rows.length === 1;
}

/** Writes `action` over the row at `expectedVersion`; false when the row has moved on. */
export async function updateAction(q: Queryable, action: Action, expectedVersion: number): Promise<boolean> {
  const rows = await q.run(UPDATE_ACTION, [...changeValues(action, expectedVersion + 1), action.id, expectedVersion]);
  return rows.length === 1;
}
