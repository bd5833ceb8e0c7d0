import type { Observable } from 'rxjs';
import type { RunState } from '../client/LocalControlState.js';
import type { ExecutorLog } from './ExecutorLog.js';
import type { Action } from '../gen/actiongate/v1/action.js';

/** A JSON object: what a handler reports as the action's result. */
export type HandlerResult = { [key: string]: unknown };

/** What a handler gets to run one action. */
export interface HandlerContext {
  /** The claimed action, RUNNING under this executor's lease. */
  readonly action: Action;
  /**
   * Aborts when the action is terminated, its lease is lost, or the executor
   * shuts down; pass it to every child process, fetch and sleep.
   */
  readonly signal: AbortSignal;
  /** Call between steps: resolves while the action may run, waits while it is paused, rejects once it must stop. */
  checkpoint(): Promise<void>;
  /**
   * The action's run state as the kill switch sets it: RUNNING, PAUSED (paused
   * or halted) or TERMINATED; replays the current state on subscribe. For work
   * that cannot wait at a checkpoint, such as a child process: stop it while PAUSED.
   * Optional so that a context built by hand need not supply it: absent means never paused.
   */
  readonly state$?: Observable<RunState>;
  /** A child logger carrying actionId and executorId. */
  readonly log: ExecutorLog;
}

/**
 * Runs one action. Resolves with the result to Complete it with; throws a
 * HandlerError to Fail it (saying whether a retry may help). Anything else
 * thrown fails the action without a retry.
 */
export type ActionHandler = (context: HandlerContext) => Promise<HandlerResult>;
