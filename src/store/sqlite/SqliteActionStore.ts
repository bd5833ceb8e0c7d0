import type Database from 'better-sqlite3';
import type { Action, ActionWithHistory, HistoryEvent, NewAction } from '../../domain/action.js';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { ActionChange } from '../../domain/lifecycle.js';
import type {
  ActionFilter,
  ActionStore,
  ClaimFilter,
  CreateResult,
  Decide,
  EventListener,
  ExpiredIds,
} from '../ActionStore.js';
import { uuidv7 } from '../uuidv7.js';
import { actionFromRow, eventFromRow, rowParams, type ActionRow, type EventRow } from './actionRows.js';
import { actionFilterConditions, claimFilterConditions, whereClause, type SqlCondition } from './filterSql.js';
import { GroupCommitter } from './GroupCommitter.js';
import { openDatabase } from './openDatabase.js';

const ACTION_COLUMNS = [
  'id', 'version', 'created_at', 'updated_at', 'proposed_by', 'idempotency_key', 'correlation_id', 'node', 'service',
  'action_type', 'risk_level', 'confidence', 'approval_required', 'autonomous_eligible', 'status', 'payload',
  'rollback_reference', 'expires_at', 'attempt', 'max_attempts', 'lease_id', 'lease_executor', 'lease_expires_at',
  'lease_ttl_ms', 'result', 'error', 'control',
];
const MUTABLE_COLUMNS = ACTION_COLUMNS.filter((c) => !['id', 'created_at', 'proposed_by', 'idempotency_key'].includes(c));

export interface SqliteStoreOptions {
  readonly clock?: () => number;
  /** A listener that throws must not undo a commit or stop the others; it is reported here. */
  readonly onListenerError?: (err: unknown) => void;
}

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL.
 * better-sqlite3 is synchronous, so every write runs inside a GroupCommitter
 * batch and the port's promises resolve once that batch's COMMIT returns.
 */
export class SqliteActionStore implements ActionStore {
  private readonly committer: GroupCommitter<HistoryEvent>;
  private readonly listeners = new Set<EventListener>();
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
    private readonly onListenerError: (err: unknown) => void,
  ) {
    this.committer = new GroupCommitter(db, (events) => this.publish(events));
  }

  static open(dataDir: string, options: SqliteStoreOptions = {}): SqliteActionStore {
    return new SqliteActionStore(openDatabase(dataDir), options.clock ?? Date.now, options.onListenerError ?? (() => {}));
  }

  create(input: NewAction): Promise<CreateResult> {
    return this.committer.run((events) => {
      if (input.idempotencyKey !== '') {
        const existing = this.statement('SELECT * FROM actions WHERE proposed_by = ? AND idempotency_key = ?')
          .get(input.proposedBy, input.idempotencyKey) as ActionRow | undefined;
        if (existing !== undefined) return { action: this.withHistory(actionFromRow(existing)), replayed: true };
      }
      const now = this.clock();
      const action: Action = {
        ...input,
        id: uuidv7(now),
        createdAt: now,
        updatedAt: now,
        status: 'PENDING',
        attempt: 0,
        lease: null,
        result: null,
        error: '',
        control: 'NONE',
      };
      this.statement(`INSERT INTO actions (${ACTION_COLUMNS.join(', ')}) VALUES (${ACTION_COLUMNS.map((c) => `@${c}`).join(', ')})`)
        .run(rowParams(action, 1));
      events.push(this.appendEvent(action, null, 'proposed', input.proposedBy));
      return { action: this.withHistory(action), replayed: false };
    });
  }

  update(actionId: string, decide: Decide): Promise<ActionWithHistory> {
    return this.committer.run((events) => {
      const row = this.statement('SELECT * FROM actions WHERE id = ?').get(actionId) as ActionRow | undefined;
      if (row === undefined) throw new NotFoundError('action', actionId);
      return this.withHistory(this.apply(row, decide, events));
    });
  }

  claimNext(filter: ClaimFilter, decide: Decide): Promise<ActionWithHistory | null> {
    return this.committer.run((events) => {
      const where = whereClause([
        { sql: "a.status = 'APPROVED'", params: [] },
        { sql: "a.control = 'NONE'", params: [] },
        ...claimFilterConditions(filter),
      ]);
      const row = this.statement(`SELECT a.* FROM actions a ${where.sql} ORDER BY a.id LIMIT 1`).get(...where.params) as
        | ActionRow
        | undefined;
      return row === undefined ? null : this.withHistory(this.apply(row, decide, events));
    });
  }

  async findExpired(now: number, limit: number): Promise<ExpiredIds> {
    const leases = this.statement(
      "SELECT id FROM actions WHERE status = 'RUNNING' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?",
    ).pluck().all(now, limit) as string[];
    const pending = this.statement(
      "SELECT id FROM actions WHERE status = 'PENDING' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
    ).pluck().all(now, limit) as string[];
    return { leases, pending };
  }

  async getAction(actionId: string): Promise<ActionWithHistory | null> {
    const row = this.statement('SELECT * FROM actions WHERE id = ?').get(actionId) as ActionRow | undefined;
    return row === undefined ? null : this.withHistory(actionFromRow(row));
  }

  async listActions(filter: ActionFilter, limit: number, beforeId: string | null): Promise<Action[]> {
    const conditions: SqlCondition[] = actionFilterConditions(filter, 'a.status');
    if (beforeId !== null) conditions.push({ sql: 'a.id < ?', params: [beforeId] });
    const where = whereClause(conditions);
    const rows = this.statement(`SELECT a.* FROM actions a ${where.sql} ORDER BY a.id DESC LIMIT ?`)
      .all(...where.params, limit) as ActionRow[];
    return rows.map(actionFromRow);
  }

  async readEvents(afterSequence: number, filter: ActionFilter, limit: number): Promise<HistoryEvent[]> {
    const where = whereClause([{ sql: 'e.sequence > ?', params: [afterSequence] }, ...actionFilterConditions(filter, 'e.to_status')]);
    const rows = this.statement(
      `SELECT e.*, a.action_type, a.node, a.service FROM action_events e JOIN actions a ON a.id = e.action_id
       ${where.sql} ORDER BY e.sequence LIMIT ?`,
    ).all(...where.params, limit) as EventRow[];
    return rows.map(eventFromRow);
  }

  onEvents(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.committer.close();
    this.listeners.clear();
    this.db.close();
  }

  /** Decides and writes one step, compare-and-set on the row version read in this transaction. */
  private apply(row: ActionRow, decide: Decide, events: HistoryEvent[]): Action {
    const now = this.clock();
    const current = actionFromRow(row);
    const change: ActionChange = decide(current, now);
    const next: Action = {
      ...current,
      ...change.patch,
      status: change.to,
      updatedAt: now,
    };
    const assignments = MUTABLE_COLUMNS.map((c) => `${c} = @${c}`).join(', ');
    const written = this.statement(`UPDATE actions SET ${assignments} WHERE id = @id AND version = @expected_version`).run({
      ...rowParams(next, row.version + 1),
      expected_version: row.version,
    });
    if (written.changes !== 1) throw new ConflictError(`action ${current.id} changed while this step was decided; try again`);
    if (change.event !== null) events.push(this.appendEvent(next, change.from, change.event.reason, change.event.actor));
    return next;
  }

  private appendEvent(action: Action, from: HistoryEvent['from'], reason: string, actor: string): HistoryEvent {
    const at = action.updatedAt;
    const inserted = this.statement(
      'INSERT INTO action_events (action_id, from_status, to_status, actor, reason, at, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(action.id, from, action.status, actor, reason, at, action.attempt);
    return {
      sequence: Number(inserted.lastInsertRowid),
      actionId: action.id,
      from,
      to: action.status,
      actor,
      reason,
      at,
      attempt: action.attempt,
      actionType: action.actionType,
      node: action.node,
      service: action.service,
    };
  }

  private withHistory(action: Action): ActionWithHistory {
    const rows = this.statement(
      `SELECT e.*, a.action_type, a.node, a.service FROM action_events e JOIN actions a ON a.id = e.action_id
       WHERE e.action_id = ? ORDER BY e.sequence`,
    ).all(action.id) as EventRow[];
    return { ...action, history: rows.map(eventFromRow) };
  }

  private publish(events: HistoryEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
