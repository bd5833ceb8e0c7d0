import type { ActionStatus } from './actionStatus.js';
import { IllegalTransitionError } from './errors.js';

/** Every way an action can change status. */
export type Move =
  | 'approve'
  | 'endorse'
  | 'reject'
  | 'expire'
  | 'claim'
  | 'complete'
  | 'fail'
  | 'retry'
  | 'terminate';

interface MoveRule {
  readonly from: readonly ActionStatus[];
  readonly to: ActionStatus;
}

/** The one table that decides every move. */
export const TRANSITIONS: Readonly<Record<Move, MoveRule>> = {
  approve: { from: ['PENDING'], to: 'APPROVED' },
  // An approval that is not yet the last one needed: recorded, and the action stays PENDING.
  endorse: { from: ['PENDING'], to: 'PENDING' },
  reject: { from: ['PENDING'], to: 'REJECTED' },
  // Not decided in time, or approved and not claimed in time: expiry fails closed.
  expire: { from: ['PENDING', 'APPROVED'], to: 'EXPIRED' },
  claim: { from: ['APPROVED'], to: 'RUNNING' },
  complete: { from: ['RUNNING'], to: 'COMPLETED' },
  fail: { from: ['RUNNING'], to: 'FAILED' },
  // A running action goes back to the queue: a retryable failure or a lost lease.
  retry: { from: ['RUNNING'], to: 'APPROVED' },
  terminate: { from: ['PENDING', 'APPROVED', 'RUNNING'], to: 'TERMINATED' },
};

export function canMove(current: ActionStatus, move: Move): boolean {
  return TRANSITIONS[move].from.includes(current);
}

/** The status `move` leads to, or IllegalTransitionError naming the current status. */
export function transition(actionId: string, current: ActionStatus, move: Move): ActionStatus {
  if (!canMove(current, move)) throw new IllegalTransitionError(actionId, current, move, TRANSITIONS[move].from);
  return TRANSITIONS[move].to;
}
