import type { Observable, Subscription } from 'rxjs';
import { waitForValue } from '../shared/waitForValue.js';
import type { RunState } from './LocalControlState.js';

/** Thrown at a checkpoint (and used as the abort reason) once an action must stop for good. */
export class ActionTerminatedError extends Error {
  override name = 'ActionTerminatedError';
  constructor(
    readonly actionId: string,
    readonly reason: string,
  ) {
    super(`action ${actionId} was terminated${reason ? `: ${reason}` : ''}`);
  }
}

/**
 * The kill switch as running code sees it. `checkpoint()` resolves while the
 * action may run, waits while it is paused or cut off from the control stream
 * (DISCONNECTED), and rejects once it is terminated;
 * `signal` aborts on terminate so child processes and fetches are cancelled.
 * The state comes from a BehaviorSubject-backed stream that replays its current
 * value on subscribe, so a change between reading the state and waiting for
 * the next one cannot be missed.
 */
export class ActionGuard {
  private readonly controller = new AbortController();
  private current: RunState = 'RUNNING';
  private readonly subscription: Subscription;

  constructor(
    readonly actionId: string,
    state$: Observable<RunState>,
    private readonly reasonOf: () => string,
  ) {
    this.subscription = state$.subscribe((state) => {
      this.current = state;
      if (state === 'TERMINATED' && !this.controller.signal.aborted) {
        this.controller.abort(new ActionTerminatedError(actionId, reasonOf()));
      }
    });
    this.state$ = state$;
  }

  readonly state$: Observable<RunState>;

  get state(): RunState {
    return this.current;
  }

  /** Aborts when the action is terminated (or its lease is lost). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Resolves when the action may run; rejects with ActionTerminatedError, or the caller's abort reason. */
  async checkpoint(options: { signal?: AbortSignal } = {}): Promise<void> {
    const state = await waitForValue(this.state$, (s) => s === 'RUNNING' || s === 'TERMINATED', options.signal);
    if (state === 'TERMINATED') throw new ActionTerminatedError(this.actionId, this.reasonOf());
  }

  dispose(): void {
    this.subscription.unsubscribe();
  }
}
