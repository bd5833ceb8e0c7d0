import type { ActionFilter } from '../../ActionStore.js';
import { NOT_HALTED, type ControlSignal, type HaltState } from '../../../domain/controlSignal.js';
import { signalFromRow, type SignalRow } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

export type HaltRow = { halted: boolean; halt_terminates: boolean; halt_signal: number | null } & { [K in keyof SignalRow]: SignalRow[K] | null };

const HALT_COLUMNS = `SELECT h.halted, h.terminate_running AS halt_terminates, h.signal_sequence AS halt_signal, s.*
  FROM halt_state h LEFT JOIN control_signals s ON s.sequence = h.signal_sequence WHERE h.id = 1`;
const READ_HALT = statement('read_halt', HALT_COLUMNS);
// Claims, approvals and proposals hold it shared until they commit; Halt and Unhalt exclusively.
const SHARE_HALT = statement('share_halt', `${HALT_COLUMNS} FOR SHARE OF h`);
const LOCK_HALT = statement('lock_halt', `${HALT_COLUMNS} FOR UPDATE OF h`);
const WRITE_HALT = statement(
  'write_halt',
  'UPDATE halt_state SET halted = $1, terminate_running = $2, signal_sequence = $3 WHERE id = 1',
  { writes: true },
);

export type HaltLock = 'none' | 'share' | 'update';

export async function readHalt(q: Queryable, lock: HaltLock = 'none'): Promise<HaltState> {
  const [row] = await q.run<HaltRow>(lock === 'update' ? LOCK_HALT : lock === 'share' ? SHARE_HALT : READ_HALT, []);
  return haltFromRow(row) ?? readHaltAgain(q);
}

/** After a locking read that could not see the halt's signal (see haltFromRow): the lock is held, the signal committed. */
export async function readHaltAgain(q: Queryable): Promise<HaltState> {
  const [row] = await q.run<HaltRow>(READ_HALT, []);
  const halt = haltFromRow(row);
  if (halt === null) throw new Error('halt_state names a control signal that does not exist: the schema is incomplete');
  return halt;
}

/**
 * BEGIN and the halt state under a shared lock, as one simple query (two statements, one
 * round trip; neither takes parameters): a batch of steps needs both before anything else.
 */
export const BEGIN_SHARING_HALT = `BEGIN; ${SHARE_HALT.text}`;

/**
 * The halt state a row shows; null when the row names a signal the statement did not see.
 * A locking read that waited for a Halt or Unhalt gets the halt row as that commit left it
 * (READ COMMITTED rechecks the row it locks), but the signal the same commit inserted is
 * newer than the statement's snapshot: the row must then be read again, never taken as
 * "not halted".
 */
export function haltFromRow(row: HaltRow | undefined): HaltState | null {
  if (row === undefined) throw new Error('halt_state has no row: the schema is incomplete');
  if (row.halt_signal === null) return NOT_HALTED;
  if (row.sequence === null) return null;
  const signal = signalFromRow(row as SignalRow);
  return { halted: row.halted, terminateRunning: row.halted && row.halt_terminates, signal };
}

export async function writeHalt(q: Queryable, halt: HaltState): Promise<void> {
  await q.run(WRITE_HALT, [halt.halted, halt.terminateRunning, halt.signal?.sequence ?? null]);
}

const LOCK_SIGNAL_HEAD = statement('lock_signal_head', 'SELECT sequence FROM signal_head WHERE id = 1 FOR UPDATE');
const INSERT_SIGNAL = statement(
  'insert_signal',
  `INSERT INTO control_signals (sequence, action_id, executor_id, signal, reason, issued_by, issued_at, terminate_running)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  { writes: true },
);
const ADVANCE_SIGNAL_HEAD = statement(
  'advance_signal_head',
  `WITH head AS (UPDATE signal_head SET sequence = $1 WHERE id = 1) SELECT pg_notify('actiongate_signals', $1::text)`,
  { writes: true },
);

/** Locks the last control sequence given out until the transaction ends: signals are numbered in commit order. */
export async function lockSignalHead(q: Queryable): Promise<number> {
  const [row] = await q.run<{ sequence: number }>(LOCK_SIGNAL_HEAD, []);
  if (row === undefined) throw new Error('signal_head has no row: the schema is incomplete');
  return row.sequence;
}

export async function insertSignal(q: Queryable, signal: ControlSignal): Promise<void> {
  await q.run(INSERT_SIGNAL, [
    signal.sequence, signal.actionId, signal.executorId, signal.signal, signal.reason, signal.issuedBy, signal.issuedAt, signal.terminateRunning,
  ]);
}

/** Moves the head to the last signal inserted and tells the other replicas, at COMMIT. */
export async function advanceSignalHead(q: Queryable, sequence: number): Promise<void> {
  await q.run(ADVANCE_SIGNAL_HEAD, [sequence]);
}

const SIGNALS_AFTER = statement('signals_after', 'SELECT * FROM control_signals WHERE sequence > $1 ORDER BY sequence LIMIT $2');
const SIGNALS_FOR = statement('signals_for', 'SELECT * FROM control_signals WHERE action_id = $1 ORDER BY sequence');

export async function signalsAfter(q: Queryable, after: number, limit: number): Promise<ControlSignal[]> {
  return (await q.run<SignalRow>(SIGNALS_AFTER, [after, limit])).map(signalFromRow);
}

export async function signalsFor(q: Queryable, actionId: string): Promise<ControlSignal[]> {
  return (await q.run<SignalRow>(SIGNALS_FOR, [actionId])).map(signalFromRow);
}

// Node, service and type filter per-action signals; HALT and UNHALT (no action) always pass. Statuses are not a signal's to match.
const READ_SIGNALS = statement(
  'read_signals',
  `SELECT s.* FROM control_signals s LEFT JOIN actions a ON a.id = s.action_id
   WHERE s.sequence > $1
     AND (s.action_id IS NULL OR (($2 = '' OR a.node = $2) AND ($3 = '' OR a.service = $3) AND ($4 = '' OR a.action_type = $4)))
   ORDER BY s.sequence LIMIT $5`,
);

/** Signals after `afterSequence` for a watcher, oldest first. */
export async function readSignals(q: Queryable, afterSequence: number, filter: ActionFilter, limit: number): Promise<ControlSignal[]> {
  const rows = await q.run<SignalRow>(READ_SIGNALS, [afterSequence, filter.node ?? '', filter.service ?? '', filter.actionType ?? '', limit]);
  return rows.map(signalFromRow);
}
