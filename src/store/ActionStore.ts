import type { Action, ActionWithHistory, HistoryEvent, NewAction, PolicyVerdict } from '../domain/action.js';
import type { ActionStatus } from '../domain/actionStatus.js';
import type { ActionChangeStep } from '../domain/lifecycle.js';
import type { HaltState } from '../domain/controlSignal.js';
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
  health(): StoreHealth;
  /** Checks the whole history's hash chain as it is stored now. */
  verifyHistory(): Promise<ChainCheck>;
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
