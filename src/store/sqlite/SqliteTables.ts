import type Database from 'better-sqlite3';
import { withHistory, type Action, type ActionWithHistory, type HistoryEvent } from '../../domain/action.js';
import { NOT_HALTED, type ControlSignal, type HaltState } from '../../domain/controlSignal.js';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import { chainInput, GENESIS_HASH } from '../../domain/historyChain.js';
import { changedAction, type ActionChange, type ActionChangeStep } from '../../domain/lifecycle.js';
import { sha256Hex } from '../../shared/sha256Hex.js';
import {
  actionFromRow, CHANGE_COLUMNS, changeValues, eventFromRow, INSERT_COLUMNS, insertValues, signalFromRow,
  type ActionRow, type EventRow, type SignalRow,
} from './actionRows.js';

const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
const UPDATE_ACTION = `UPDATE actions SET ${CHANGE_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND version = ?`;
const INSERT_ACTION = `INSERT INTO actions (${INSERT_COLUMNS.join(', ')}) VALUES (${placeholders(INSERT_COLUMNS.length)})`;
const EVENT_COLUMNS = 'e.*, a.action_type, a.node, a.service FROM action_events e JOIN actions a ON a.id = e.action_id';

/** The transitions a webhook hears of (besides an action created PENDING, which create() records itself). */
const NOTIFIED_STATUSES: ReadonlySet<HistoryEvent['to']> = new Set(['TERMINATED', 'FAILED']);

interface ChainHead {
  readonly sequence: number;
  readonly hash: string;
}

/** What a committed write hands to listeners. */
export type StoreEffect = { readonly event: HistoryEvent } | { readonly signal: ControlSignal };

/**
 * The synchronous row operations both halves of the SQLite store share. Each
 * runs inside the caller's transaction; none of them commits.
 */
export class SqliteTables {
  private readonly statements = new Map<string, Database.Statement>();
  /** The webhook targets each notification is recorded for; none by default, and then nothing is written. */
  notificationTargets: readonly string[] = [];
  /**
   * The chain head and the halt state as this transaction left them, so a batch
   * of steps reads each once rather than once per step. Only trusted inside a
   * transaction, and forgotten whenever one starts or anything is undone.
   */
  private cachedHead: ChainHead | null = null;
  private cachedHalt: HaltState | null = null;

  constructor(
    readonly db: Database.Database,
    readonly clock: () => number,
  ) {}

  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  readRow(actionId: string): ActionRow {
    const row = this.statement('SELECT * FROM actions WHERE id = ?').get(actionId) as ActionRow | undefined;
    if (row === undefined) throw new NotFoundError('action', actionId);
    return row;
  }

  insertAction(action: Action): void {
    this.statement(INSERT_ACTION).run(insertValues(action));
  }

  /** Decides and writes one step, compare-and-set on the row version read in this transaction. */
  apply(row: ActionRow, decide: ActionChangeStep, effects: StoreEffect[]): Action {
    const now = this.clock();
    const current = actionFromRow(row);
    return this.write(row, current, decide(current, now, this.haltState()), now, effects);
  }

  write(row: ActionRow, current: Action, change: ActionChange, now: number, effects: StoreEffect[]): Action {
    const next = changedAction(current, change, now);
    const written = this.statement(UPDATE_ACTION).run([...changeValues(next, row.version + 1), current.id, row.version]);
    if (written.changes !== 1) throw new ConflictError(`action ${current.id} changed while this step was decided; try again`);
    if (change.event !== null) effects.push({ event: this.appendEvent(next, change.from, change.event.reason, change.event.actor, change.event.decision ?? null) });
    return next;
  }

  /** Forgets what the current transaction has cached: it is starting, or some of its writes were undone. */
  forgetCached(): void {
    this.cachedHead = null;
    this.cachedHalt = null;
  }

  private chainHead(): ChainHead {
    if (this.cachedHead !== null && this.db.inTransaction) return this.cachedHead;
    const last = this.statement('SELECT sequence, hash FROM action_events ORDER BY sequence DESC LIMIT 1').get() as { sequence: number; hash: string | null } | undefined;
    // Numbered after the highest sequence ever issued, not the highest left: an event deleted from the end stays a gap verify can name.
    const issued = this.statement("SELECT seq FROM sqlite_sequence WHERE name = 'action_events'").pluck().get() as number | undefined;
    return { sequence: Math.max(issued ?? 0, last?.sequence ?? 0), hash: last?.hash ?? GENESIS_HASH };
  }

  /** Appends an event to the one history chain: its hash covers the previous event's hash. */
  appendEvent(action: Action, from: HistoryEvent['from'], reason: string, actor: string, decision: HistoryEvent['decision'] = null): HistoryEvent {
    const head = this.chainHead();
    const sequence = head.sequence + 1;
    const previousHash = head.hash;
    const event = {
      sequence, actionId: action.id, from, to: action.status, actor, reason, at: action.updatedAt, attempt: action.attempt, decision,
    };
    const hash = sha256Hex(chainInput(event, previousHash));
    this.statement(
      `INSERT INTO action_events (sequence, action_id, from_status, to_status, actor, reason, at, attempt, decision, hash, previous_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(sequence, action.id, from, action.status, actor, reason, event.at, action.attempt, decision, hash, previousHash);
    this.cachedHead = { sequence, hash };
    if (from !== action.status && NOTIFIED_STATUSES.has(action.status)) this.recordNotification({ eventSequence: sequence });
    return { ...event, actionType: action.actionType, node: action.node, service: action.service, hash, previousHash };
  }

  insertSignal(draft: Omit<ControlSignal, 'sequence'>, effects: StoreEffect[]): ControlSignal {
    const inserted = this.statement(
      `INSERT INTO control_signals (action_id, executor_id, signal, reason, issued_by, issued_at, terminate_running)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(draft.actionId, draft.executorId, draft.signal, draft.reason, draft.issuedBy, draft.issuedAt, draft.terminateRunning ? 1 : 0);
    const signal = { ...draft, sequence: Number(inserted.lastInsertRowid) };
    if (draft.actionId === null) this.cachedHalt = null;
    effects.push({ signal });
    if (signal.signal === 'HALT') this.recordNotification({ signalSequence: signal.sequence });
    return signal;
  }

  /** One outbox message per webhook target, in the caller's transaction; nothing when no webhook is configured. */
  recordNotification(subject: { readonly eventSequence: number } | { readonly signalSequence: number }): void {
    if (this.notificationTargets.length === 0) return;
    const now = this.clock();
    const eventSequence = 'eventSequence' in subject ? subject.eventSequence : null;
    const signalSequence = 'signalSequence' in subject ? subject.signalSequence : null;
    const insert = this.statement(
      'INSERT INTO notification_outbox (target, created_at, event_sequence, signal_sequence, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
    );
    for (const target of this.notificationTargets) insert.run(target, now, eventSequence, signalSequence, now);
  }

  haltState(): HaltState {
    if (this.cachedHalt !== null && this.db.inTransaction) return this.cachedHalt;
    this.cachedHalt = this.readHaltState();
    return this.cachedHalt;
  }

  private readHaltState(): HaltState {
    const row = this.statement(
      "SELECT * FROM control_signals WHERE action_id IS NULL AND signal IN ('HALT', 'UNHALT') ORDER BY sequence DESC LIMIT 1",
    ).get() as SignalRow | undefined;
    if (row === undefined) return NOT_HALTED;
    const signal = signalFromRow(row);
    return { halted: signal.signal === 'HALT', terminateRunning: signal.signal === 'HALT' && signal.terminateRunning, signal };
  }

  lastSignalSequence(): number {
    const row = this.statement('SELECT MAX(sequence) AS sequence FROM control_signals').get() as { sequence: number | null };
    return row.sequence ?? 0;
  }

  withHistory(action: Action): ActionWithHistory {
    const rows = this.statement(`SELECT ${EVENT_COLUMNS} WHERE e.action_id = ? ORDER BY e.sequence`).all(action.id) as EventRow[];
    return withHistory(action, rows.map(eventFromRow));
  }

  readEvents(where: { sql: string; params: unknown[] }, limit: number): HistoryEvent[] {
    const rows = this.statement(`SELECT ${EVENT_COLUMNS} ${where.sql} ORDER BY e.sequence LIMIT ?`).all(...where.params, limit) as EventRow[];
    return rows.map(eventFromRow);
  }
}
