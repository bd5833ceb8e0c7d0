import type { Action, ActionWithHistory, HistoryEvent, NewAction, PolicyVerdict } from '../domain/action.js';
import type { ActionStatus } from '../domain/actionStatus.js';
import type { ActionChangeStep } from '../domain/lifecycle.js';
import type { ControlSignal, HaltState } from '../domain/controlSignal.js';
import type { ControlStore } from './ControlStore.js';
import type { StoreHealth } from './storeErrors.js';

export interface ActionFilter {
  readonly statuses?: readonly ActionStatus[];
  readonly node?: string;
  readonly service?: string;
  readonly actionType?: string;
}

export interface ClaimFilter {
  readonly actionTypes: readonly string[];
  readonly nodes: readonly string[];
}

/**
 * Decides one step from the action as stored now. It runs inside the store's
 * transaction; what it throws refuses the step and changes nothing.
 */
export type Decide = ActionChangeStep;

export interface CreateResult {
  readonly action: ActionWithHistory;
  /** The idempotency key matched an earlier action of the same proposer. */
  readonly replayed: boolean;
}

export interface ExpiredIds {
  readonly leases: readonly string[];
  readonly pending: readonly string[];
  /** APPROVED, never claimed, past the approval's deadline. */
  readonly approvals: readonly string[];
}

/** The outcome of checking the history's hash chain. */
export interface ChainCheck {
  readonly ok: boolean;
  readonly eventsChecked: number;
  /** The first event that does not match (0 when the chain holds). */
  readonly firstBadSequence: number;
  readonly firstBadActionId: string;
  readonly problem: string;
}

/** What the policy made of a new proposal, and the approval step it takes when it approves. */
export interface Judgement {
  readonly verdict: PolicyVerdict;
  /** Applied to the new action in the same transaction; null leaves it PENDING. */
  readonly approve: ActionChangeStep | null;
}

/**
 * Judges a new proposal inside the store's transaction. `approvalsThisHour`
 * counts the would-approve verdicts for its service in the last hour.
 */
export type Judge = (action: Action, approvalsThisHour: () => number, halt: HaltState) => Judgement;

export type EventListener = (events: readonly HistoryEvent[]) => void;

/** What one commit made: its history events and control signals. */
export interface Committed {
  readonly events: readonly HistoryEvent[];
  readonly signals: readonly ControlSignal[];
}
export type CommitListener = (committed: Committed) => void;

/** What on-call dashboards start from; each figure is one cheap indexed read. */
export interface StoreStats {
  readonly actionsByStatus: Readonly<Record<ActionStatus, number>>;
  readonly halted: boolean;
  /** When the oldest PENDING action was proposed (ms since the epoch), or null when none waits. */
  readonly oldestPendingCreatedAt: number | null;
  /** Webhook notifications recorded and not yet delivered. */
  readonly undeliveredNotifications: number;
}

/** What a notification announces, as stored now. */
export type NotificationSubject =
  /** An action that started waiting for approval, was terminated, or failed: the event that says so, and the action now. */
  | { readonly event: HistoryEvent; readonly action: ActionWithHistory }
  /** A global halt. */
  | { readonly signal: ControlSignal };

/** A webhook notification due for delivery. */
export interface OutboxMessage {
  readonly id: number;
  /** The webhook it is for, by the key given to routeNotifications. */
  readonly target: string;
  /** Delivery attempts made before this one. */
  readonly attempts: number;
  readonly createdAt: number;
  readonly subject: NotificationSubject;
}

/**
 * The storage port. Every method that changes something resolves only after the
 * change and its history event are durable, written in one transaction.
 */
export interface ActionStore extends ControlStore {
  create(action: NewAction, judge?: Judge): Promise<CreateResult>;
  /** Applies `decide` to the stored action; NotFoundError when there is none. */
  update(actionId: string, decide: Decide): Promise<ActionWithHistory>;
  /** Claims the oldest claimable APPROVED action that matches, or resolves null. */
  claimNext(filter: ClaimFilter, decide: Decide): Promise<ActionWithHistory | null>;
  findExpired(now: number, limit: number): Promise<ExpiredIds>;
  getAction(actionId: string): Promise<ActionWithHistory | null>;
  /** Newest first; `beforeId` continues a page. */
  listActions(filter: ActionFilter, limit: number, beforeId: string | null): Promise<Action[]>;
  readEvents(afterSequence: number, filter: ActionFilter, limit: number): Promise<HistoryEvent[]>;
  /** Called with each batch of committed events, in sequence order. */
  onEvents(listener: EventListener): () => void;
  /**
   * Called after each commit this store itself made that has events or signals, once it is
   * durable; never for what another replica on the same database committed (onEvents and
   * onSignals hear both). For counting the work one server did.
   */
  onCommittedHere(listener: CommitListener): () => void;
  health(): StoreHealth;
  /** Checks the whole history's hash chain as it is stored now. */
  verifyHistory(): Promise<ChainCheck>;
  /** Control signals after `afterSequence`, oldest first; node, service and type filter per-action signals, HALT and UNHALT always pass. */
  readSignals(afterSequence: number, filter: ActionFilter, limit: number): Promise<ControlSignal[]>;
  /** Counts for /metrics. */
  stats(): Promise<StoreStats>;
  /**
   * From now on, each transition or HALT worth a notification (an action created PENDING, one
   * TERMINATED or FAILED, a HALT) records one outbox message per target, in the transaction
   * that makes it. With no targets (the default) nothing is recorded.
   */
  routeNotifications(targets: readonly string[]): void;
  /** Up to `limit` outbox messages due at `now`, the earliest due first. One notifier per store takes them. */
  claimOutbox(limit: number, now: number): Promise<OutboxMessage[]>;
  /** The message was delivered (or is dropped for good): it leaves the outbox. */
  markDelivered(id: number): Promise<void>;
  /** The attempt failed: try again at `nextAttemptAt`. */
  markFailed(id: number, nextAttemptAt: number, error: string): Promise<void>;
  close(): Promise<void>;
}

/** Whether an event passes a watcher's filter. */
export function eventMatches(event: HistoryEvent, filter: ActionFilter): boolean {
  if (filter.statuses !== undefined && filter.statuses.length > 0 && !filter.statuses.includes(event.to)) return false;
  if (filter.node !== undefined && filter.node !== '' && event.node !== filter.node) return false;
  if (filter.service !== undefined && filter.service !== '' && event.service !== filter.service) return false;
  if (filter.actionType !== undefined && filter.actionType !== '' && event.actionType !== filter.actionType) return false;
  return true;
}
