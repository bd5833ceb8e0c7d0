import type { Action } from '../../../domain/action.js';
import { INSERT_COLUMNS, insertValues } from '../pgRows.js';
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

/** Inserts a new action at `version`; false when its idempotency key was taken meanwhile. */
export async function insertAction(q: Queryable, action: Action, version: number): Promise<boolean> {
  const rows = await q.run(INSERT_ACTION, insertValues(action, version));
  return rows.length === 1;
}
