import type { Acknowledgement, SignalKind } from '../../../domain/controlSignal.js';
import type { AckOutcome } from '../../ControlStore.js';
import { statement, type Queryable } from './Statement.js';

// Every sequence in one statement: the ones this executor may acknowledge are recorded
// (once: ON CONFLICT), and each sequence comes back with what was found for it, in the order given.
const ACKNOWLEDGE = statement(
  'acknowledge',
  `WITH wanted AS (
     SELECT w.sequence, w.position, s.sequence IS NOT NULL AS known, s.executor_id
     FROM unnest($2::bigint[]) WITH ORDINALITY AS w (sequence, position)
     LEFT JOIN control_signals s ON s.sequence = w.sequence
   ), recorded AS (
     INSERT INTO control_acks (executor_id, sequence, acked_at)
     SELECT DISTINCT $1::text, sequence, $3::bigint FROM wanted WHERE known AND (executor_id IS NULL OR executor_id = $1)
     ON CONFLICT DO NOTHING
     RETURNING sequence
   )
   SELECT sequence, known, executor_id, (SELECT COUNT(*)::int FROM recorded) AS recorded FROM wanted ORDER BY position`,
  { writes: true },
);

export async function acknowledge(q: Queryable, executorId: string, sequences: readonly number[], now: number): Promise<AckOutcome> {
  if (sequences.length === 0) return { recorded: 0, refused: [] };
  const rows = await q.run<{ sequence: number; known: boolean; executor_id: string | null; recorded: number }>(ACKNOWLEDGE, [executorId, [...sequences], now]);
  const refused: { sequence: number; reason: string }[] = [];
  for (const row of rows) {
    if (!row.known) refused.push({ sequence: row.sequence, reason: `no control signal has sequence ${row.sequence}` });
    else if (row.executor_id !== null && row.executor_id !== executorId) {
      refused.push({ sequence: row.sequence, reason: `signal ${row.sequence} was sent to executor ${row.executor_id}, not ${executorId}` });
    }
  }
  return { recorded: rows[0]?.recorded ?? 0, refused };
}

const ACKNOWLEDGEMENTS = statement(
  'acknowledgements',
  `SELECT k.executor_id, k.sequence, k.acked_at, s.signal FROM control_acks k JOIN control_signals s ON s.sequence = k.sequence
   WHERE k.sequence = ANY($1::bigint[]) ORDER BY k.sequence, k.executor_id COLLATE "C"`,
);

export async function acknowledgements(q: Queryable, sequences: readonly number[]): Promise<Acknowledgement[]> {
  if (sequences.length === 0) return [];
  const rows = await q.run<{ executor_id: string; sequence: number; acked_at: number; signal: string }>(ACKNOWLEDGEMENTS, [[...sequences]]);
  return rows.map((r) => ({ executorId: r.executor_id, sequence: r.sequence, signal: r.signal as SignalKind, acknowledgedAt: r.acked_at }));
}
