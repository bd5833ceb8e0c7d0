import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { Action, HistoryEvent } from '../../domain/action.js';
import type { ControlSignal, HaltState } from '../../domain/controlSignal.js';
import { chainInput } from '../../domain/historyChain.js';
import { changedAction, type ActionChange } from '../../domain/lifecycle.js';
import { sha256Hex } from '../../shared/sha256Hex.js';
import { HeldActions, type HeldAction, type HeldSnapshot } from './HeldActions.js';
import { actionFromRow, eventFromRow } from './pgRows.js';
import { lockAction, lockActions, type ActionWithEventsRow } from './sql/actionReads.js';
import { insertAction } from './sql/actionWrites.js';
import { writeActions, writeActionsAndEvents } from './sql/batchWrites.js';
import { BEGIN_SHARING_HALT, haltFromRow, insertSignal, lockSignalHead, advanceSignalHead, readHalt, type HaltLock, type HaltRow } from './sql/controlSql.js';
import { lockHistoryHead } from './sql/historyHead.js';
import { insertMessages } from './sql/outboxSql.js';
import type { Queryable, Statement } from './sql/Statement.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The transitions a webhook hears of (besides an action created PENDING, which create() names itself). */
const NOTIFIED_STATUSES: ReadonlySet<HistoryEvent['to']> = new Set(['TERMINATED', 'FAILED']);

/** What one outbox message per target is recorded for at `finish`: an event (numbered then) or a HALT. */
type Notice = { readonly event: HistoryEvent } | { readonly signal: ControlSignal };

export interface TransactionMark {
  readonly events: number;
  readonly signals: number;
  readonly notices: number;
  readonly signalHead: number | null;
  readonly halt: HaltState | null;
  readonly held: HeldSnapshot;
  readonly writes: number;
}

/**
 * One transaction on one pooled connection. Locks are always taken in one order, so
 * two replicas' transactions never wait on each other in a circle: the halt lock
 * (sql/controlSql.ts), then signal_head, then action rows, then history_head (last: taken
 * by `finish` and held only until COMMIT). Within a group-commit batch the steps' own
 * orders interleave; a deadlock that causes is retried by the committer.
 *
 * Steps change the action rows they hold in memory (HeldActions); the changes are written
 * together when the transaction finishes, in the statement that appends the events, so a
 * batch costs a few round trips however many steps it has. Any other statement a step
 * runs (`run`) first writes what is held back, so it reads and references what the
 * earlier steps did, as if each had written at once.
 */
export class PgTransaction implements Queryable {
  private readonly events: Mutable<HistoryEvent>[] = [];
  private signalHead: number | null = null;
  private readonly signals: ControlSignal[] = [];
  private halt: HaltState | null = null;
  private readonly notices: Notice[] = [];
  private readonly held = new HeldActions();
  /** Statements run that changed the database, and whether one failed (which aborts the transaction). */
  private writes = 0;
  private failed = false;
  /** For the transaction's own statements, which need not write the held changes first. */
  private readonly direct: Queryable = { run: (statement, values) => this.query(statement, values) };

  /** `notificationTargets`: the webhook keys each notice is recorded for; none, and nothing is. */
  constructor(
    private readonly client: PoolClient,
    readonly now: number,
    private readonly notificationTargets: readonly string[] = [],
  ) {}

  /** Begins the transaction, taking the halt lock shared and reading the halt state on the way (one round trip). */
  async begin(): Promise<void> {
    // Several statements in one simple query: pg answers with one result per statement, the halt's last.
    const results = (await this.client.query(BEGIN_SHARING_HALT)) as unknown as QueryResult<HaltRow>[];
    this.halt = haltFromRow(results[results.length - 1]!.rows[0]);
  }

  /** Runs a statement after writing the changes held back, so it sees them. */
  async run<R extends QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<R[]> {
    await this.flush();
    return this.query<R>(statement, values);
  }

  private async query<R extends QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<R[]> {
    try {
      const result = await this.client.query<R>({ name: statement.name, text: statement.text, values: [...values] });
      if (statement.writes) this.writes += 1;
      return result.rows;
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  /** Writes the changes held back so far (one statement), e.g. before a step's savepoint is released. */
  async flush(): Promise<void> {
    if (this.held.hasWrites) await writeActions(this.direct, this.held.takeWrites());
  }

  /** The shared halt state, with the halt lock held against a concurrent Halt (share) or for changing it (update). */
  async haltState(lock: Exclude<HaltLock, 'none'> = 'share'): Promise<HaltState> {
    if (this.halt === null || lock === 'update') this.halt = await readHalt(this.direct, lock);
    return this.halt;
  }

  /**
   * Locks the actions a batch's steps name, in one statement, after the halt lock (the
   * lock order): the steps then find them held. Ids that name no action are left out.
   */
  async lockActions(actionIds: readonly string[]): Promise<void> {
    const wanted = [...new Set(actionIds)].filter((id) => this.held.get(id) === undefined);
    if (wanted.length === 0) return;
    await this.haltState();
    for (const row of await lockActions(this.direct, wanted)) this.hold(row);
  }

  /** The action as this transaction holds it, locked; null when there is none with that id. */
  async lockAction(actionId: string): Promise<HeldAction | null> {
    const known = this.held.get(actionId);
    if (known !== undefined) return known;
    const row = await lockAction(this.direct, actionId);
    return row === null ? null : this.hold(row);
  }

  /** A row another statement locked; one held already stays as this transaction left it. */
  hold(row: ActionWithEventsRow): HeldAction {
    return this.held.get(row.id) ?? this.held.hold(actionFromRow(row), row.version, row.events.map(eventFromRow));
  }

  /**
   * A new action, held. Without an idempotency key it is inserted with the batch's other
   * writes; with one it is inserted now, and null says another proposal took the key first.
   */
  async insert(action: Action): Promise<HeldAction | null> {
    if (action.idempotencyKey === '') return this.held.created(action, null);
    if (!(await insertAction(this, action, 1))) return null;
    return this.held.created(action, { version: 1 });
  }

  /** Takes the signal head now, before any action row: the lock order every writer keeps. */
  async lockSignals(): Promise<void> {
    this.signalHead ??= await lockSignalHead(this.direct);
  }

  /** Numbers a signal (the signal head stays locked until COMMIT) and inserts it. */
  async insertSignal(draft: Omit<ControlSignal, 'sequence'>): Promise<ControlSignal> {
    this.signalHead ??= await lockSignalHead(this.direct);
    this.signalHead += 1;
    const signal = { ...draft, sequence: this.signalHead };
    await insertSignal(this, signal);
    this.signals.push(signal);
    if (signal.signal === 'HALT') this.notices.push({ signal });
    return signal;
  }

  /**
   * Applies `change` to a held row and records its event; both are written when the
   * transaction finishes, the row guarded on the version it was read at (compare-and-set).
   */
  write(held: HeldAction, change: ActionChange): HeldAction {
    const current = this.held.get(held.action.id) ?? held;
    const next = changedAction(current.action, change, this.now);
    const event = change.event === null
      ? null
      : this.record(next, change.from, change.event.reason, change.event.actor, change.event.decision ?? null);
    return this.held.change(next.id, next, event);
  }

  /**
   * Records an event; it is numbered and chained at `finish`, under the history head's
   * lock, so the head is held only from then until COMMIT. The object returned is the
   * one numbered then: what a caller built from it reads the final values.
   */
  appendEvent(action: Action, from: HistoryEvent['from'], reason: string, actor: string, decision: HistoryEvent['decision'] = null): HistoryEvent {
    const event = this.record(action, from, reason, actor, decision);
    this.held.appended(action.id, event);
    return event;
  }

  private record(action: Action, from: HistoryEvent['from'], reason: string, actor: string, decision: HistoryEvent['decision']): HistoryEvent {
    const event: Mutable<HistoryEvent> = {
      sequence: 0, actionId: action.id, from, to: action.status, actor, reason, at: action.updatedAt, attempt: action.attempt, decision,
      actionType: action.actionType, node: action.node, service: action.service, hash: '', previousHash: '',
    };
    this.events.push(event);
    if (from !== event.to && NOTIFIED_STATUSES.has(event.to)) this.notices.push({ event });
    return event;
  }

  /** The webhooks hear of this event too (an action that starts waiting for people): recorded with it at `finish`. */
  notifyOf(event: HistoryEvent): void {
    this.notices.push({ event });
  }

  /** Where the transaction stands, to go back to when one step of a batch is rolled back to its savepoint. */
  mark(): TransactionMark {
    return {
      events: this.events.length, signals: this.signals.length, notices: this.notices.length, signalHead: this.signalHead, halt: this.halt,
      held: this.held.snapshot(), writes: this.writes,
    };
  }

  /**
   * Whether nothing was sent to the database since `mark` that changed it or failed: a step
   * refused so far changed only what `restore` forgets (the locks it took are harmless).
   */
  untouchedSince(mark: TransactionMark): boolean {
    return !this.failed && this.writes === mark.writes;
  }

  /** Forgets what the steps after `mark` recorded (after ROLLBACK TO SAVEPOINT undid their rows, or when they wrote none). */
  restore(mark: TransactionMark): void {
    this.events.length = mark.events;
    this.signals.length = mark.signals;
    this.notices.length = mark.notices;
    this.signalHead = mark.signalHead;
    this.halt = mark.halt;
    this.held.restore(mark.held);
  }

  /**
   * Writes the held changes, numbers and chains the events from the last committed one
   * and writes them with the history head (one statement for all that), then the signal
   * head; the caller commits next.
   */
  async finish(): Promise<{ events: readonly HistoryEvent[]; signals: readonly ControlSignal[] }> {
    if (this.events.length > 0) {
      let head = await lockHistoryHead(this.direct);
      for (const event of this.events) {
        event.sequence = head.sequence + 1;
        event.previousHash = head.hash;
        event.hash = sha256Hex(chainInput(event, head.hash));
        head = { sequence: event.sequence, hash: event.hash };
      }
      await writeActionsAndEvents(this.direct, this.held.takeWrites(), this.events);
    } else {
      await this.flush();
    }
    const last = this.signals[this.signals.length - 1];
    if (last !== undefined) await advanceSignalHead(this.direct, last.sequence);
    // After the events and signals they reference; in this transaction, so a rolled-back step records none.
    const subjects = this.notices.map((n) => ('event' in n ? { eventSequence: n.event.sequence, signalSequence: null } : { eventSequence: null, signalSequence: n.signal.sequence }));
    await insertMessages(this.direct, this.now, this.notificationTargets, subjects);
    return { events: this.events, signals: this.signals };
  }
}
