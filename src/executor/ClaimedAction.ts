import { skip, type Subscription } from 'rxjs';
import type { ActionClient } from '../client/ActionClient.js';
import type { ActionGuard } from '../client/ActionGuard.js';
import type { ControlSubscriber } from '../client/ControlSubscriber.js';
import type { Action } from '../gen/actiongate/v1/action.js';
import type { ExecuteResponse } from '../gen/actiongate/v1/action_service.js';
import type { ActionHandler, HandlerResult } from './ActionHandler.js';
import { SILENT_LOG, type ExecutorLog } from './ExecutorLog.js';
import { HandlerError } from './HandlerError.js';
import { LeaseKeeper } from './LeaseKeeper.js';
import { reportOutcome } from './reportOutcome.js';

const MAX_ERROR_CHARS = 4096;
/** Used when a reply does not say how long its lease lasts (a server that predates the field). */
const FALLBACK_LEASE_TTL_MS = 30_000;

/** How a run ended. `reported` says whether the server took the Complete or Fail. */
export type ActionOutcome =
  | { readonly kind: 'completed'; readonly result: HandlerResult; readonly reported: boolean }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean; readonly willRetry: boolean; readonly reported: boolean }
  /** Terminated, or the lease was lost: nothing is reported, the work just stops. */
  | { readonly kind: 'stopped'; readonly reason: string };

export interface ClaimedActionOptions {
  readonly actions: ActionClient;
  /** The executor's live control subscriber: terminate, pause and halt reach the run through it. */
  readonly subscriber: ControlSubscriber;
  /** Defaults to logging nothing. */
  readonly log?: ExecutorLog;
  /** Called once the action is released. */
  readonly onRelease?: () => void;
  /**
   * How long the control stream may be down before the work holds at its next
   * checkpoint (until the stream is live again, its snapshot read). Default:
   * the subscriber's `disconnectGraceMs`, else one heartbeat interval (a third
   * of the lease), so a terminate unheard on a lost stream stops the work no
   * later than a heartbeat would have told it.
   */
  readonly disconnectGraceMs?: number;
}

export interface RunOptions {
  /** The executor is shutting down: the handler's signal aborts and the action is failed retryably. */
  readonly signal?: AbortSignal;
}

type Decided = { readonly kind: 'completed'; readonly result: HandlerResult } | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean } | { readonly kind: 'stopped'; readonly reason: string };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The lease the server granted, from the claim's own reply: it set expiry = claim time + TTL. */
function leaseTtlMsOf(claim: ExecuteResponse): number {
  const claimedAt = claim.action?.updatedAt?.getTime();
  const expiresAt = claim.leaseExpiresAt?.getTime();
  if (claimedAt === undefined || expiresAt === undefined || expiresAt <= claimedAt) return FALLBACK_LEASE_TTL_MS;
  return expiresAt - claimedAt;
}

/**
 * An action this executor holds under a lease. From the moment it exists it
 * heartbeats the lease (every third of its time to live) and follows the kill
 * switch through an ActionGuard, so work longer than the lease keeps it and a
 * terminate or a lost lease aborts `signal`. Fail-safe: while the control
 * stream is lost for longer than the grace the work holds at its checkpoints,
 * and a lease that lapses on the local clock aborts `signal` without waiting
 * to hear from the server. `run` does the whole job: the
 * handler under the guard, then Complete or Fail, then `release`. Call
 * `release` yourself only if you report the outcome some other way.
 */
export class ClaimedAction {
  readonly action: Action;
  readonly leaseId: string;
  readonly attempt: number;
  readonly guard: ActionGuard;
  private readonly keeper: LeaseKeeper;
  private readonly watch: Subscription;
  private readonly log: ExecutorLog;
  private released: Promise<void> | undefined;

  constructor(
    claim: ExecuteResponse & { readonly action: Action },
    private readonly options: ClaimedActionOptions,
  ) {
    this.action = claim.action;
    this.leaseId = claim.leaseId;
    this.attempt = claim.attempt;
    const actionId = claim.action.actionId;
    this.log = (options.log ?? SILENT_LOG).child({ actionId });
    const leaseTtlMs = leaseTtlMsOf(claim);
    const { subscriber } = options;
    const disconnectGraceMs = options.disconnectGraceMs ?? subscriber.disconnectGraceMs ?? LeaseKeeper.heartbeatIntervalMs(leaseTtlMs);
    this.guard = subscriber.guard(actionId, { disconnectGraceMs });
    this.watch = this.guard.state$.pipe(skip(1)).subscribe((state) => {
      if (state === 'DISCONNECTED') this.log.warn({ controlState: state, disconnectGraceMs }, 'control stream lost for longer than the grace: holding at the next checkpoint');
      else this.log.info({ controlState: state }, 'control state changed');
    });
    this.keeper = new LeaseKeeper({ actions: options.actions, state: subscriber.state, actionId, leaseId: claim.leaseId, leaseTtlMs, log: this.log });
    this.keeper.start();
  }

  get actionId(): string {
    return this.action.actionId;
  }

  /** Aborts when the action is terminated or its lease is lost. */
  get signal(): AbortSignal {
    return this.guard.signal;
  }

  /** Resolves while the action may run, waits while it is paused or cut off from the control stream, rejects once it must stop. */
  async checkpoint(options: { signal?: AbortSignal } = {}): Promise<void> {
    const state = this.guard.state;
    if (state === 'RUNNING' || state === 'TERMINATED') return this.guard.checkpoint(options);
    this.log.info(state === 'PAUSED' ? 'paused: waiting at checkpoint' : 'control stream lost: waiting at checkpoint until it is live again');
    await this.guard.checkpoint(options);
    this.log.info('resumed: leaving checkpoint');
  }

  /** Runs `handler` under the kill switch, reports its outcome, and releases the action; never throws. */
  async run(handler: ActionHandler, options: RunOptions = {}): Promise<ActionOutcome> {
    let decided: Decided;
    try {
      decided = await this.decide(handler, options.signal);
    } finally {
      await this.release();
    }
    const { actions } = this.options;
    const { actionId, leaseId, log } = this;
    switch (decided.kind) {
      case 'stopped':
        return decided;
      case 'completed': {
        const reply = await reportOutcome('Complete', (o) => actions.complete({ actionId, leaseId, result: decided.result }, o), log);
        return { ...decided, reported: reply !== null };
      }
      case 'failed': {
        const { error, retryable } = decided;
        const reply = await reportOutcome('Fail', (o) => actions.fail({ actionId, leaseId, error, retryable }, o), log);
        return { ...decided, willRetry: reply?.willRetry ?? false, reported: reply !== null };
      }
    }
  }

  /** Stops heartbeating and following the kill switch for this action; safe to call more than once. */
  release(): Promise<void> {
    this.released ??= (async () => {
      await this.keeper.stop();
      this.watch.unsubscribe();
      this.guard.dispose();
      // A later claim of the same action starts from a clean slate.
      this.options.subscriber.state.forget(this.actionId);
      this.options.onRelease?.();
    })();
    return this.released;
  }

  private async decide(handler: ActionHandler, shutdown: AbortSignal | undefined): Promise<Decided> {
    const guard = this.guard;
    const signal = shutdown === undefined ? guard.signal : AbortSignal.any([guard.signal, shutdown]);
    const context = { action: this.action, signal, checkpoint: () => this.checkpoint({ signal: shutdown }), state$: guard.state$, log: this.log };
    try {
      await context.checkpoint();
      const result = await handler(context);
      // Work that finished as the terminate landed is still not reported as done.
      if (guard.signal.aborted) return { kind: 'stopped', reason: messageOf(guard.signal.reason) };
      return { kind: 'completed', result };
    } catch (err) {
      if (guard.signal.aborted) return { kind: 'stopped', reason: messageOf(guard.signal.reason) };
      if (shutdown?.aborted) return { kind: 'failed', error: `executor ${this.options.subscriber.executorId} shut down before the action finished`, retryable: true };
      if (!(err instanceof HandlerError)) this.log.error({ err }, 'handler failed unexpectedly');
      const retryable = err instanceof HandlerError && err.retryable;
      return { kind: 'failed', error: messageOf(err).slice(0, MAX_ERROR_CHARS) || 'handler failed', retryable };
    }
  }
}
