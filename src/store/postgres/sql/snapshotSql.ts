import type { Action } from '../../../domain/action.js';
import { actionFromRow, type ActionRow } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

const HELD_ACTIONS = statement(
  'held_actions',
  `SELECT a.*, s.executor_id AS signal_executor FROM actions a LEFT JOIN control_signals s ON s.sequence = a.control_sequence
   WHERE a.lease_executor = $1 AND (
     a.status = 'RUNNING' OR (
       a.status = 'TERMINATED'
       AND EXISTS (SELECT 1 FROM control_signals t WHERE t.sequence = a.control_sequence AND t.executor_id = a.lease_executor)
       AND NOT EXISTS (SELECT 1 FROM control_acks k WHERE k.executor_id = a.lease_executor AND k.sequence = a.control_sequence)))
   ORDER BY a.id`,
);
const SIGNAL_HIGH_WATER = statement('signal_high_water', 'SELECT sequence FROM signal_head WHERE id = 1');

/**
 * The actions leased to `executorId` that its snapshot carries. A control sequence of a
 * signal sent to a previous lease holder is not this executor's to acknowledge: it reads 0.
 */
export async function heldActions(q: Queryable, executorId: string): Promise<Action[]> {
  const rows = await q.run<ActionRow & { signal_executor: string | null }>(HELD_ACTIONS, [executorId]);
  return rows.map((row) => {
    const action = actionFromRow(row);
    const ours = row.signal_executor === null || row.signal_executor === executorId;
    return ours ? action : { ...action, controlSequence: 0 };
  });
}

/** The last control sequence committed. */
export async function signalHighWater(q: Queryable): Promise<number> {
  const [row] = await q.run<{ sequence: number }>(SIGNAL_HIGH_WATER, []);
  return row?.sequence ?? 0;
}
