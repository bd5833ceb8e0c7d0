import type { PoolClient, QueryResultRow } from 'pg';
import type { Action, HistoryEvent } from '../../domain/action.js';
import type { ControlSignal, HaltState } from '../../domain/controlSignal.js';
import { ConflictError } from '../../domain/errors.js';
import { chainInput } from '../../domain/historyChain.js';
import { changedAction, type ActionChange } from '../../domain/lifecycle.js';
import { sha256Hex } from '../../shared/sha256Hex.js';
import { updateAction } from './sql/actionWrites.js';
import { insertSignal, lockSignalHead, advanceSignalHead, readHalt, type HaltLock } from './sql/controlSql.js';
import { appendEvents, lockHistoryHead } from './sql/historyHead.js';
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
}

/**
 * One transaction on one pooled connection. Locks are always taken in one order, so
 * two replicas' transactions never wait on each other in a circle:
 * halt_state, then signal_head, then action rows, then history_head (last: taken by
 * `finish` and held only until COMMIT). Within a group-commit batch the steps' own
 * orders interleave; a deadlock that causes is retried by the committer.
 */
export class PgTransaction implements Queryable {
  private readonly events: Mutable<HistoryEvent>[] = [];
  private signalHead: number | null = null;
  private readonly signals: ControlSignal[] = [];
  private halt: HaltState | null = null;
  private readonly notices: Notice[] = [];

  /** `notificationTargets`: the webhook keys each notice is recorded for; none, and nothing is. */
  constructor(
    private readonly client: PoolClient,
    readonly now: number,
    private readonly notificationTargets: readonly string[] = [],
  ) {}

  async run<R extends QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<R[]> {
    const result = await this.client.query<R>({ name: statement.name, text: statement.text, values: [...values] });
    return result.rows;
  }

  /** The shared halt state, locked against a concurrent Halt (share) or for changing it (update). */
  async haltState(lock: Exclude<HaltLock, 'none'> = 'share'): Promise<HaltState> {
    if (this.halt === null || lock === 'update') this.halt = await readHalt(this, lock);
    return this.halt;
  }

  /** Takes the signal head now, before any action row: the lock order every writer keeps. */
  async lockSignals(): Promise<void> {
    this.signalHead ??= await lockSignalHead(this);
  }

  /** Numbers a signal (the signal head stays locked until COMMIT) and inserts it. */
  async insertSignal(draft: Omit<ControlSignal, 'sequence'>): Promise<ControlSignal> {
    this.signalHead ??= await lockSignalHead(this);
    this.signalHead += 1;
    const signal = { ...draft, sequence: this.signalHead };
    await insertSignal(this, signal);
    this.signals.push(signal);
    if (signal.signal === 'HALT') this.notices.push({ signal });
    return signal;
  }

  /**
   * Writes `change` over the row at `version` (compare-and-set) and records its event.
   * The row is normally locked already, so a lost race here means the schema or a
   * caller broke that rule: it is refused, never written over.
   */
  async write(current: Action, version: number, change: ActionChange): Promise<{ action: Action; events: HistoryEvent[] }> {
    const next = changedAction(current, change, this.now);
    if (!(await updateAction(this, next, version))) throw new ConflictError(`action ${current.id} changed while this step was decided; try again`);
    if (change.event === null) return { action: next, events: [] };
    const event = this.appendEvent(next, change.from, change.event.reason, change.event.actor, change.event.decision ?? null);
    return { action: next, events: [event] };
  }

  /**
   * Records an event; it is numbered and chained at `finish`, under the history head's
   * lock, so the head is held only from then until COMMIT. The object returned is the
   * one numbered then: what a caller built from it reads the final values.
   */
  appendEvent(action: Action, from: HistoryEvent['from'], reason: string, actor: string, decision: HistoryEvent['decision'] = null): HistoryEvent {
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
    return { events: this.events.length, signals: this.signals.length, notices: this.notices.length, signalHead: this.signalHead, halt: this.halt };
  }

  /** Forgets what the steps after `mark` recorded; ROLLBACK TO SAVEPOINT undid their rows and their locks. */
  restore(mark: TransactionMark): void {
    this.events.length = mark.events;
    this.signals.length = mark.signals;
    this.notices.length = mark.notices;
    this.signalHead = mark.signalHead;
    this.halt = mark.halt;
  }

  /** Numbers and chains the events from the last committed one, writes them and the heads; the caller commits next. */
  async finish(): Promise<{ events: readonly HistoryEvent[]; signals: readonly ControlSignal[] }> {
    if (this.events.length > 0) {
      let head = await lockHistoryHead(this);
      for (const event of this.events) {
        event.sequence = head.sequence + 1;
        event.previousHash = head.hash;
        event.hash = sha256Hex(chainInput(event, head.hash));
        head = { sequence: event.sequence, hash: event.hash };
      }
      await appendEvents(this, this.events);
    }
    const last = this.signals[this.signals.length - 1];
    if (last !== undefined) await advanceSignalHead(this, last.sequence);
    // After the events and signals they reference; in this transaction, so a rolled-back step records none.
    const subjects = this.notices.map((n) => ('event' in n ? { eventSequence: n.event.sequence, signalSequence: null } : { eventSequence: null, signalSequence: n.signal.sequence }));
    await insertMessages(this, this.now, this.notificationTargets, subjects);
    return { events: this.events, signals: this.signals };
  }
}
