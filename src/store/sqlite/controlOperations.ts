import type { ActionWithHistory } from '../../domain/action.js';
import { haltPause, planControl, requireHaltChange, unhaltResume, type ActionControlMove } from '../../domain/control.js';
import type { Acknowledgement, ControlSignal, HaltState, SignalKind } from '../../domain/controlSignal.js';
import type { ActionFilter } from '../ActionStore.js';
import type { AckOutcome, ControlSnapshot } from '../ControlStore.js';
import { actionFromRow, signalFromRow, type ActionRow, type SignalRow } from './actionRows.js';
import { actionFilterConditions, whereClause, type SqlCondition } from './filterSql.js';
import type { SqliteTables, StoreEffect } from './SqliteTables.js';

/* Synchronous control writes and reads; the writes run inside a group-commit transaction. */

export function controlAction(
  tables: SqliteTables,
  actionId: string,
  move: ActionControlMove,
  issuedBy: string,
  reason: string,
  effects: StoreEffect[],
): { action: ActionWithHistory; signal: ControlSignal } {
  const row = tables.readRow(actionId);
  const current = actionFromRow(row);
  const plan = planControl(current, move, issuedBy, reason);
  const now = tables.clock();
  const signal = tables.insertSignal(
    { actionId, executorId: plan.decision.executorId, signal: plan.decision.signal, reason, issuedBy, issuedAt: now, terminateRunning: false },
    effects,
  );
  const change = { ...plan.change, patch: { ...plan.change.patch, controlSequence: signal.sequence } };
  const action = tables.write(row, current, change, now, effects);
  return { action: tables.withHistory(action), signal };
}

function runningRows(tables: SqliteTables): ActionRow[] {
  return tables.statement("SELECT * FROM actions WHERE status = 'RUNNING' ORDER BY id").all() as ActionRow[];
}

export function halt(
  tables: SqliteTables,
  issuedBy: string,
  reason: string,
  terminateRunning: boolean,
  effects: StoreEffect[],
): { halt: HaltState; affected: string[] } {
  requireHaltChange(tables.haltState(), true, terminateRunning);
  const now = tables.clock();
  const signal = tables.insertSignal(
    { actionId: null, executorId: null, signal: 'HALT', reason, issuedBy, issuedAt: now, terminateRunning },
    effects,
  );
  const affected: string[] = [];
  for (const row of runningRows(tables)) {
    const current = actionFromRow(row);
    if (terminateRunning) {
      controlAction(tables, current.id, 'terminate', issuedBy, `halted: ${reason}`, effects);
      affected.push(current.id);
      continue;
    }
    const change = haltPause(current);
    if (change === null) continue;
    tables.write(row, current, { ...change, patch: { ...change.patch, controlSequence: signal.sequence } }, now, effects);
    affected.push(current.id);
  }
  return { halt: { halted: true, terminateRunning, signal }, affected };
}

export function unhalt(tables: SqliteTables, issuedBy: string, reason: string, effects: StoreEffect[]): { halt: HaltState; resumed: string[] } {
  requireHaltChange(tables.haltState(), false, false);
  const now = tables.clock();
  const signal = tables.insertSignal(
    { actionId: null, executorId: null, signal: 'UNHALT', reason, issuedBy, issuedAt: now, terminateRunning: false },
    effects,
  );
  const resumed: string[] = [];
  for (const row of tables.statement('SELECT * FROM actions WHERE paused_by_halt = 1 ORDER BY id').all() as ActionRow[]) {
    const current = actionFromRow(row);
    const change = unhaltResume(current);
    if (change === null) continue;
    tables.write(row, current, { ...change, patch: { ...change.patch, controlSequence: signal.sequence } }, now, effects);
    resumed.push(current.id);
  }
  return { halt: { halted: false, terminateRunning: false, signal }, resumed };
}

/** Read in one synchronous step, so no commit falls between the state and its high-water mark. */
export function snapshot(tables: SqliteTables, executorId: string): ControlSnapshot {
  const rows = tables.statement(
    `SELECT a.*, s.executor_id AS signal_executor FROM actions a LEFT JOIN control_signals s ON s.sequence = a.control_sequence
     WHERE a.lease_executor = ? AND (
       a.status = 'RUNNING' OR (
         a.status = 'TERMINATED'
         AND EXISTS (SELECT 1 FROM control_signals s WHERE s.sequence = a.control_sequence AND s.executor_id = a.lease_executor)
         AND NOT EXISTS (SELECT 1 FROM control_acks k WHERE k.executor_id = a.lease_executor AND k.sequence = a.control_sequence)))
     ORDER BY a.id`,
  ).all(executorId) as (ActionRow & { signal_executor: string | null })[];
  const actions = rows.map((row) => {
    const action = actionFromRow(row);
    const ours = row.signal_executor === null || row.signal_executor === executorId;
    return ours ? action : { ...action, controlSequence: 0 };
  });
  return { halt: tables.haltState(), actions, highWater: tables.lastSignalSequence() };
}

export function acknowledge(tables: SqliteTables, executorId: string, sequences: readonly number[]): AckOutcome {
  const now = tables.clock();
  let recorded = 0;
  const refused: { sequence: number; reason: string }[] = [];
  for (const sequence of sequences) {
    const row = tables.statement('SELECT executor_id FROM control_signals WHERE sequence = ?').get(sequence) as
      | { executor_id: string | null }
      | undefined;
    if (row === undefined) {
      refused.push({ sequence, reason: `no control signal has sequence ${sequence}` });
    } else if (row.executor_id !== null && row.executor_id !== executorId) {
      refused.push({ sequence, reason: `signal ${sequence} was sent to executor ${row.executor_id}, not ${executorId}` });
    } else {
      recorded += tables.statement('INSERT OR IGNORE INTO control_acks (executor_id, sequence, acked_at) VALUES (?, ?, ?)').run(executorId, sequence, now).changes;
    }
  }
  return { recorded, refused };
}

export function signalsFor(tables: SqliteTables, actionId: string): ControlSignal[] {
  const rows = tables.statement('SELECT * FROM control_signals WHERE action_id = ? ORDER BY sequence').all(actionId) as SignalRow[];
  return rows.map(signalFromRow);
}

export function acknowledgements(tables: SqliteTables, sequences: readonly number[]): Acknowledgement[] {
  if (sequences.length === 0) return [];
  const rows = tables.statement(
    `SELECT k.executor_id, k.sequence, k.acked_at, s.signal FROM control_acks k JOIN control_signals s ON s.sequence = k.sequence
     WHERE k.sequence IN (SELECT value FROM json_each(?)) ORDER BY k.sequence, k.executor_id`,
  ).all(JSON.stringify(sequences)) as { executor_id: string; sequence: number; acked_at: number; signal: string }[];
  return rows.map((r) => ({ executorId: r.executor_id, sequence: r.sequence, signal: r.signal as SignalKind, acknowledgedAt: r.acked_at }));
}

/** Signals after `afterSequence` for a watcher: per-action ones through the filter, HALT and UNHALT always. */
export function readSignals(tables: SqliteTables, afterSequence: number, filter: ActionFilter, limit: number): ControlSignal[] {
  const conditions: SqlCondition[] = [{ sql: 's.sequence > ?', params: [afterSequence] }];
  const actionConditions = actionFilterConditions({ ...filter, statuses: [] }, 'a.status');
  if (actionConditions.length > 0) {
    const matches = whereClause(actionConditions);
    conditions.push({ sql: `(s.action_id IS NULL OR (${matches.sql.slice('WHERE '.length)}))`, params: matches.params });
  }
  const where = whereClause(conditions);
  const rows = tables
    .statement(`SELECT s.* FROM control_signals s LEFT JOIN actions a ON a.id = s.action_id ${where.sql} ORDER BY s.sequence LIMIT ?`)
    .all(...where.params, limit) as SignalRow[];
  return rows.map(signalFromRow);
}
