import { actionRecord, activeLease, type Action, type ControlState, type DecisionKind, type JsonObject, type Lease } from './action.js';
import type { ActionStatus } from './actionStatus.js';
import type { HaltState } from './controlSignal.js';
import { ConflictError, IllegalTransitionError, LeaseLostError, PermissionDeniedError, PreconditionError } from './errors.js';
import { transition, type Move } from './transitions.js';

/** The fields a change may set besides the status. */
export interface ActionPatch {
  attempt?: number;
  lease?: Lease;
  result?: JsonObject;
  error?: string;
  control?: ControlState;
  pausedByHalt?: boolean;
  controlSequence?: number;
  approvedBy?: readonly string[];
  expiresAt?: number | null;
}

/**
 * What one step does to an action. The store applies it with a compare-and-set
 * on the status it was decided from, and appends the event in the same transaction.
 */
export interface ActionChange {
  readonly from: ActionStatus;
  readonly to: ActionStatus;
  readonly patch: ActionPatch;
  /** null when the status does not change and history records nothing (a heartbeat). */
  readonly event: { readonly move: Move; readonly actor: string; readonly reason: string; readonly decision?: DecisionKind } | null;
}

export const SYSTEM_ACTOR = 'system';

/** Decides one step from the action and the halt state as stored now; throws to refuse it. */
export type ActionChangeStep = (current: Action, now: number, halt: HaltState) => ActionChange;

/** Refuses work a global halt forbids, naming who halted and why. */
export function requireNotHalted(halt: HaltState, what: string): void {
  if (!halt.halted) return;
  const by = halt.signal === null ? '' : ` by ${halt.signal.issuedBy} (${halt.signal.reason})`;
  throw new PreconditionError(`actiongate is halted${by}; ${what} is refused until Unhalt`);
}

function move(action: Action, name: Move, actor: string, reason: string, patch: ActionPatch = {}, decision?: DecisionKind): ActionChange {
  const to = transition(action.id, action.status, name);
  return { from: action.status, to, patch, event: decision === undefined ? { move: name, actor, reason } : { move: name, actor, reason, decision } };
}

/** A proposal past its expiry is no longer a standing request, even before the sweep marks it EXPIRED. */
function requireUnexpired(action: Action, verb: string, now: number): void {
  if (action.status === 'PENDING' && action.expiresAt !== null && action.expiresAt <= now) {
    throw new PreconditionError(
      `action ${action.id} expired at ${new Date(action.expiresAt).toISOString()} without a decision; cannot ${verb} it, propose it again`,
    );
  }
}

export interface Approver {
  /** The principal's name, as history records it. */
  readonly actor: string;
  /**
   * Whether the name tells people apart. The open mode's one principal
   * (`anonymous`) does not: the proposer and four-eyes checks need identities.
   */
  readonly identified: boolean;
}

/**
 * One approval. The proposer never approves its own action, and the same
 * principal never counts twice; the action becomes APPROVED once
 * `approvalsRequired` distinct principals have approved it, and from then has
 * `approvalTtlMs` to be claimed.
 */
export function approve(action: Action, approver: Approver, reason: string, halt: HaltState, now: number, approvalTtlMs: number): ActionChange {
  requireNotHalted(halt, 'approval');
  requireUnexpired(action, 'approve', now);
  const { actor } = approver;
  if (action.status === 'PENDING' && approver.identified) {
    if (actor === action.proposedBy) throw new PermissionDeniedError(`the proposer cannot approve its own action (${actor} proposed ${action.id}); it may reject it`);
    const earlier = action.approvedBy.indexOf(actor);
    if (earlier !== -1) {
      throw new PreconditionError(
        `${actor} already approved action ${action.id} (approval ${earlier + 1} of ${action.approvalsRequired}); the next approval must come from someone else`,
      );
    }
  }
  const approvedBy = [...action.approvedBy, actor];
  if (approvedBy.length < action.approvalsRequired) {
    return move(action, 'endorse', actor, reason || `approval ${approvedBy.length} of ${action.approvalsRequired}`, { approvedBy }, 'APPROVE');
  }
  return move(action, 'approve', actor, reason, { approvedBy, expiresAt: now + approvalTtlMs }, 'APPROVE');
}

/** One rejection rejects. The proposer may reject (withdraw) its own action. */
export function reject(action: Action, actor: string, reason: string, now: number): ActionChange {
  requireUnexpired(action, 'reject', now);
  return move(action, 'reject', actor, reason, {}, 'REJECT');
}

/** An approval that was never used: approved, never claimed, and past its approval deadline. */
function approvalLapsed(action: Action, now: number): boolean {
  return action.status === 'APPROVED' && action.attempt === 0 && action.expiresAt !== null && action.expiresAt <= now;
}

/** Fails closed: a PENDING action nobody decided in time, or an APPROVED one nobody claimed in time, expires. */
export function expire(action: Action, now: number): ActionChange {
  if (action.status === 'APPROVED') {
    if (!approvalLapsed(action, now)) throw new ConflictError(`the approval of action ${action.id} has not expired`);
    return move(action, 'expire', SYSTEM_ACTOR, 'approval expired');
  }
  if (action.status === 'PENDING' && (action.expiresAt === null || action.expiresAt > now)) {
    throw new ConflictError(`action ${action.id} has not expired`);
  }
  return move(action, 'expire', SYSTEM_ACTOR, 'not decided before it expired');
}


export interface ClaimTerms {
  /** The caller, recorded in history; the executor is named in the lease and the reason. */
  readonly actor: string;
  readonly executorId: string;
  readonly leaseId: string;
  readonly ttlMs: number;
}

export function claim(action: Action, terms: ClaimTerms, now: number, halt: HaltState): ActionChange {
  requireNotHalted(halt, 'claiming an action');
  if (action.status === 'APPROVED' && action.control === 'PAUSED') {
    throw new PreconditionError(`action ${action.id} is APPROVED but PAUSED; resume it before claiming it`);
  }
  // A claim that races the approval's expiry loses, whether or not the sweep got there first.
  if (approvalLapsed(action, now)) {
    throw new PreconditionError(`the approval of action ${action.id} expired at ${new Date(action.expiresAt!).toISOString()} unused; it cannot run, propose it again`);
  }
  const attempt = action.attempt + 1;
  const lease: Lease = { leaseId: terms.leaseId, executorId: terms.executorId, expiresAt: now + terms.ttlMs, ttlMs: terms.ttlMs };
  return move(action, 'claim', terms.actor, `claimed by ${terms.executorId}, attempt ${attempt}`, { attempt, lease });
}

/**
 * The lease `leaseId` must hold the action. A lease that held it once but no
 * longer does is ABORTED; a call on an action that never ran under it is an
 * illegal move, named after the current status.
 */
function requireLease(action: Action, leaseId: string, verb: string, now: number): Lease {
  const lease = activeLease(action, now);
  if (lease !== null && lease.leaseId === leaseId) return lease;
  const heldBefore = action.lease !== null && action.lease.leaseId === leaseId;
  if (action.status === 'RUNNING') {
    throw new LeaseLostError(action.id, heldBefore ? 'it expired' : 'another lease holds the action now');
  }
  if (heldBefore || action.status === 'TERMINATED') {
    throw new LeaseLostError(action.id, `the action is ${action.status} now`);
  }
  throw new IllegalTransitionError(action.id, action.status, verb, ['RUNNING']);
}

export function heartbeat(action: Action, leaseId: string, ttlMs: number | null, now: number): ActionChange {
  const lease = requireLease(action, leaseId, 'heartbeat', now);
  const ttl = ttlMs ?? lease.ttlMs;
  return { from: action.status, to: action.status, patch: { lease: { ...lease, expiresAt: now + ttl, ttlMs: ttl } }, event: null };
}

export function complete(action: Action, leaseId: string, result: JsonObject, now: number, actor: string): ActionChange {
  const lease = requireLease(action, leaseId, 'complete', now);
  return move(action, 'complete', actor, `completed by ${lease.executorId}`, { result });
}

/** A reported failure: back to APPROVED while attempts remain and the error is retryable, else FAILED. */
export function fail(action: Action, leaseId: string, error: string, retryable: boolean, now: number, actor: string): ActionChange {
  const lease = requireLease(action, leaseId, 'fail', now);
  const retry = retryable && action.attempt < action.maxAttempts;
  const reason = retry
    ? `attempt ${action.attempt} of ${action.maxAttempts} failed on ${lease.executorId}, will retry: ${error}`
    : `attempt ${action.attempt} of ${action.maxAttempts} failed on ${lease.executorId}: ${error}`;
  return move(action, retry ? 'retry' : 'fail', actor, reason, { error });
}

/** The lease ran out without a heartbeat: retry while attempts remain, else FAILED. */
export function expireLease(action: Action, now: number): ActionChange {
  if (activeLease(action, now) !== null) throw new ConflictError(`the lease on action ${action.id} was renewed`);
  const executor = action.lease?.executorId ?? 'unknown executor';
  if (action.attempt < action.maxAttempts) {
    return move(action, 'retry', SYSTEM_ACTOR, `lease of ${executor} expired on attempt ${action.attempt} of ${action.maxAttempts}`);
  }
  const error = `lease of ${executor} expired on the last attempt (${action.attempt} of ${action.maxAttempts})`;
  return move(action, 'fail', SYSTEM_ACTOR, error, { error });
}

/** Terminate as a status move; the control state goes with it and stays. */
export function terminate(action: Action, actor: string, reason: string): ActionChange {
  return move(action, 'terminate', actor, reason, { control: 'TERMINATED', pausedByHalt: false });
}

/** The action after `change`, as the store writes it. */
export function changedAction(current: Action, change: ActionChange, now: number): Action {
  const next: { -readonly [K in keyof Action]: Action[K] } = actionRecord(current, current);
  Object.assign(next, change.patch);
  next.status = change.to;
  next.updatedAt = now;
  return next;
}
