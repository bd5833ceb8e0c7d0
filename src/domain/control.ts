import type { Action, ControlState } from './action.js';
import { isTerminal } from './actionStatus.js';
import { IllegalTransitionError, PreconditionError } from './errors.js';
import { terminate, type ActionChange } from './lifecycle.js';
import { canMove, TRANSITIONS } from './transitions.js';
import type { HaltState } from './controlSignal.js';

/** An operator's control request on one action, before the store gives it a sequence. */
export type ActionControlMove = 'pause' | 'resume' | 'terminate';

export interface ControlDecision {
  readonly control: ControlState;
  readonly signal: 'PAUSE' | 'RESUME' | 'TERMINATE';
  /** The executor to tell: the lease holder of a RUNNING action, else nobody. */
  readonly executorId: string | null;
}

/**
 * The control table: TERMINATED is sticky (nothing leaves it), pause needs a
 * live action that is not already paused one by one, resume needs a pause.
 * A pause the halt made may be taken over by an operator's own pause.
 */
export function decideControl(action: Action, move: ActionControlMove): ControlDecision {
  const executorId = action.status === 'RUNNING' ? (action.lease?.executorId ?? null) : null;
  if (action.control === 'TERMINATED' || isTerminal(action.status)) {
    if (move === 'terminate' && canMove(action.status, 'terminate')) {
      return { control: 'TERMINATED', signal: 'TERMINATE', executorId };
    }
    // A terminate already sent to a live action is sticky: naming the live statuses would not help.
    throw new IllegalTransitionError(action.id, action.status, move, isTerminal(action.status) ? TRANSITIONS.terminate.from : []);
  }
  switch (move) {
    case 'pause':
      if (action.control === 'PAUSED' && !action.pausedByHalt) {
        throw new PreconditionError(`action ${action.id} is already PAUSED; resume it first or terminate it`);
      }
      return { control: 'PAUSED', signal: 'PAUSE', executorId };
    case 'resume':
      if (action.control !== 'PAUSED') {
        throw new PreconditionError(`action ${action.id} is ${action.status} and not paused; there is nothing to resume`);
      }
      return { control: 'NONE', signal: 'RESUME', executorId };
    case 'terminate':
      return { control: 'TERMINATED', signal: 'TERMINATE', executorId };
  }
}

/** The control signal a (re)subscribing executor gets for an action it holds. */
export function snapshotSignalFor(action: Action): 'PAUSE' | 'RESUME' | 'TERMINATE' {
  if (action.control === 'TERMINATED' || action.status === 'TERMINATED') return 'TERMINATE';
  return action.control === 'PAUSED' ? 'PAUSE' : 'RESUME';
}

export interface ControlPlan {
  readonly decision: ControlDecision;
  /** What happens to the action; the store sets controlSequence to the new signal's sequence. */
  readonly change: ActionChange;
}

/** An operator's pause, resume or terminate of one action. */
export function planControl(action: Action, move: ActionControlMove, issuedBy: string, reason: string): ControlPlan {
  const decision = decideControl(action, move);
  if (move === 'terminate') return { decision, change: terminate(action, issuedBy, reason || 'terminated') };
  return {
    decision,
    change: { from: action.status, to: action.status, patch: { control: decision.control, pausedByHalt: false }, event: null },
  };
}

/** A halt that pauses: running actions not already held become PAUSED by the halt. */
export function haltPause(action: Action): ActionChange | null {
  if (action.status !== 'RUNNING' || action.control !== 'NONE') return null;
  return { from: action.status, to: action.status, patch: { control: 'PAUSED', pausedByHalt: true }, event: null };
}

/** Unhalt resumes what the halt paused, and nothing paused one by one, nor anything that has ended since. */
export function unhaltResume(action: Action): ActionChange | null {
  if (action.control !== 'PAUSED' || !action.pausedByHalt || isTerminal(action.status)) return null;
  return { from: action.status, to: action.status, patch: { control: 'NONE', pausedByHalt: false }, event: null };
}

export function requireHaltChange(current: HaltState, halting: boolean, terminateRunning: boolean): void {
  if (halting && current.halted && (current.terminateRunning || !terminateRunning)) {
    throw new PreconditionError('actiongate is already halted; Unhalt first, or Halt with terminate_running to escalate');
  }
  if (!halting && !current.halted) throw new PreconditionError('actiongate is not halted; there is nothing to lift');
}
