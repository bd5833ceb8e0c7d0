import type { ActionFilter } from '../../ActionStore.js';
import { NOT_HALTED, type ControlSignal, type HaltState } from '../../../domain/controlSignal.js';
import { signalFromRow, type SignalRow } from '../pgRows.js';
import { statement, type Queryable } from './Statement.js';

export type HaltRow = { halted: boolean; halt_terminates: boolean } & { [K in keyof SignalRow]: SignalRow[K] | null };

const HALT_COLUMNS = `SELECT h.halted, h.terminate_running AS halt_terminates, s.*
  FROM halt_state h LEFT JOIN control_signals s ON s.sequence = h.signal_sequence WHERE h.id = 1`;
const READ_HALT = statement('read_halt', HALT_COLUMNS);
/*
 * What orders every write against Halt and Unhalt: claims, approvals and proposals hold this
 * lock shared until they commit, Halt and Unhalt exclusively, and the halt is read by the
 * statement after it, whose snapshot sees whatever Halt the lock waited for. An advisory lock
 * (key 2, 0; 1 is the policy's per-service lock) rather than a row lock on halt_state: sharing
 * it writes nothing, where a shared row lock is written into the row (a MultiXact once two
 * transactions hold it), and a locking read that waits for a Halt sees the halt row as the
 * Halt left it but not the signal the Halt inserted beside it.
 */
const SHARE_HALT_LOCK = statement('share_halt_lock', 'SELECT pg_advisory_xact_lock_shared(2, 0)');
const TAKE_HALT_LOCK = statement('take_halt_lock', 'SELECT pg_advisory_xact_lock(2, 0)');
const WRITE_HALT = statement(
  'write_halt',
  'UPDATE halt_state SET halted = $1, terminate_running = $2, signal_sequence = $3 WHERE id = 1',
  { writes: true },
);

export type HaltLock = 'none' | 'share' | 'update';

export async function readHalt(q: Queryable, lock: HaltLock = 'none'): Promise<HaltState> {
  if (lock !== 'none') await q.run(lock === 'update' ? TAKE_HALT_LOCK : SHARE_HALT_LOCK, []);
  const [row] = await q.run<HaltRow>(READ_HALT, []);
  return haltFromRow(row);
}

/**
 * BEGIN, the halt lock shared and the halt state, as one simple query (three statements,
 * one round trip; none takes parameters): a batch of steps needs them before anything else.
 */
export const BEGIN_SHARING_HALT = `BEGIN; ${SHARE_HALT_LOCK.text}; ${READ_HALT.text}`;

export function haltFromRow(row: HaltRow | undefined): HaltState {
  if (row === undefined) throw new Error('halt_state has no row: the schema is incomplete');
  if (row.sequence === null) return NOT_HALTED;
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
