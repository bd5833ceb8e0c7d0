import type { Logger } from 'pino';
import { skip } from 'rxjs';
import type { ActionClient } from '../client/ActionClient.js';
import type { ActionGuard } from '../client/ActionGuard.js';
import type { ControlSubscriber } from '../client/ControlSubscriber.js';
import type { ExecuteResponse } from '../gen/actiongate/v1/action_service.js';
import type { HandlerContext, HandlerResult } from './ActionHandler.js';
import type { RegisteredHandler } from './buildHandlers.js';
import { HandlerError } from './HandlerError.js';
import { LeaseKeeper } from './LeaseKeeper.js';
import { reportOutcome } from './reportOutcome.js';

const MAX_ERROR_CHARS = 4096;

export interface RunActionDeps {
  readonly actions: ActionClient;
  readonly subscriber: ControlSubscriber;
  readonly handlers: ReadonlyMap<string, RegisteredHandler>;
  readonly executorId: string;
  readonly leaseTtlSeconds: number;
  /** Carries executorId; each action gets a child with its actionId. */
  readonly log: Logger;
  /** Aborts when the executor stops waiting for running actions at shutdown. */
  readonly shutdown: AbortSignal;
}

type Outcome =
  | { readonly kind: 'completed'; readonly result: HandlerResult }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean }
  | { readonly kind: 'stopped'; readonly reason: string };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A checkpoint that says in the log when it holds the action back. */
function loggingCheckpoint(guard: ActionGuard, shutdown: AbortSignal, log: Logger): () => Promise<void> {
  return async () => {
    if (guard.state !== 'PAUSED') return guard.checkpoint({ signal: shutdown });
    log.info('paused: waiting at checkpoint');
    await guard.checkpoint({ signal: shutdown });
    log.info('resumed: leaving checkpoint');
  };
}

/** Runs the handler under the guard and decides what to report; never throws. */
async function runHandler(deps: RunActionDeps, context: HandlerContext, guard: ActionGuard): Promise<Outcome> {
  const registered = deps.handlers.get(context.action.actionType);
  if (registered === undefined) return { kind: 'failed', error: `executor ${deps.executorId} has no handler for ${context.action.actionType}`, retryable: false };
  try {
    await context.checkpoint();
    const result = await registered.run(context);
    // Work that finished as the terminate landed is still not reported as done.
    if (guard.signal.aborted) return { kind: 'stopped', reason: messageOf(guard.signal.reason) };
    return { kind: 'completed', result };
  } catch (err) {
    if (guard.signal.aborted) return { kind: 'stopped', reason: messageOf(guard.signal.reason) };
    if (deps.shutdown.aborted) return { kind: 'failed', error: `executor ${deps.executorId} shut down before the action finished`, retryable: true };
    const retryable = err instanceof HandlerError && err.retryable;
    if (!(err instanceof HandlerError)) context.log.error({ err }, 'handler failed unexpectedly');
    return { kind: 'failed', error: messageOf(err).slice(0, MAX_ERROR_CHARS) || 'handler failed', retryable };
  }
}

/**
 * One claimed action from start to end: an ActionGuard from the executor's
 * control subscriber, heartbeats for the lease, the handler with the guard's
 * signal and checkpoints, then Complete or Fail. A terminated action (or one
 * whose lease was lost) is neither completed nor failed: it just stops.
 */
export async function runAction(claim: ExecuteResponse, deps: RunActionDeps): Promise<void> {
  const action = claim.action!;
  const { actionId } = action;
  const { actions, subscriber } = deps;
  const log = deps.log.child({ actionId });
  log.info(
    { from: 'APPROVED', to: 'RUNNING', actionType: action.actionType, node: action.node, service: action.service, attempt: claim.attempt, handler: deps.handlers.get(action.actionType)?.kind },
    'action claimed',
  );
  const guard = subscriber.guard(actionId);
  const watch = guard.state$.pipe(skip(1)).subscribe((state) => log.info({ controlState: state }, 'control state changed'));
  const keeper = new LeaseKeeper({ actions, state: subscriber.state, actionId, leaseId: claim.leaseId, leaseTtlMs: deps.leaseTtlSeconds * 1000, log });
  keeper.start();
  const signal = AbortSignal.any([guard.signal, deps.shutdown]);
  let outcome: Outcome;
  try {
    outcome = await runHandler(deps, { action, signal, checkpoint: loggingCheckpoint(guard, deps.shutdown, log), log }, guard);
  } finally {
    // Done with the kill switch for this run: a later claim of the same action starts from a clean slate.
    await keeper.stop();
    watch.unsubscribe();
    guard.dispose();
    subscriber.state.forget(actionId);
  }
  switch (outcome.kind) {
    case 'stopped':
      log.warn({ to: 'TERMINATED', reason: outcome.reason }, 'action terminated; stopped without completing it');
      return;
    case 'completed': {
      const reply = await reportOutcome('Complete', (o) => actions.complete({ actionId, leaseId: claim.leaseId, result: outcome.result }, o), log);
      if (reply !== null) log.info({ from: 'RUNNING', to: 'COMPLETED', simulated: outcome.result.simulated === true }, 'action completed');
      return;
    }
    case 'failed': {
      const { error, retryable } = outcome;
      const reply = await reportOutcome('Fail', (o) => actions.fail({ actionId, leaseId: claim.leaseId, error, retryable }, o), log);
      if (reply !== null) log.warn({ from: 'RUNNING', to: reply.willRetry ? 'APPROVED' : 'FAILED', retryable, error }, 'action failed');
    }
  }
}
