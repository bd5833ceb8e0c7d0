import type { ActionClient } from '../client/ActionClient.js';
import type { ControlSubscriber } from '../client/ControlSubscriber.js';
import type { Action } from '../gen/actiongate/v1/action.js';
import type { ExecuteResponse } from '../gen/actiongate/v1/action_service.js';
import type { RegisteredHandler } from './buildHandlers.js';
import { ClaimedAction } from './ClaimedAction.js';
import { HandlerError } from './HandlerError.js';
import type { ExecutorLog } from './ExecutorLog.js';

export interface RunActionDeps {
  readonly actions: ActionClient;
  readonly subscriber: ControlSubscriber;
  readonly handlers: ReadonlyMap<string, RegisteredHandler>;
  readonly executorId: string;
  /** Carries executorId; each action gets a child with its actionId. */
  readonly log: ExecutorLog;
  /** Aborts when the executor stops waiting for running actions at shutdown. */
  readonly shutdown: AbortSignal;
}

/**
 * One claimed action of the reference executor, from claim to outcome, with
 * each step logged once: the registered handler for its type runs under a
 * ClaimedAction (lease kept, kill switch obeyed), which reports the outcome.
 */
export async function runAction(claim: ExecuteResponse & { readonly action: Action }, deps: RunActionDeps): Promise<void> {
  const { action } = claim;
  const log = deps.log.child({ actionId: action.actionId });
  const registered = deps.handlers.get(action.actionType);
  log.info(
    { from: 'APPROVED', to: 'RUNNING', actionType: action.actionType, node: action.node, service: action.service, attempt: claim.attempt, handler: registered?.kind },
    'action claimed',
  );
  const claimed = new ClaimedAction(claim, { actions: deps.actions, subscriber: deps.subscriber, log: deps.log });
  const outcome = await claimed.run(async (context) => {
    if (registered === undefined) throw new HandlerError(`executor ${deps.executorId} has no handler for ${action.actionType}`, false);
    return registered.run(context);
  }, { signal: deps.shutdown });
  switch (outcome.kind) {
    case 'stopped':
      log.warn({ to: 'TERMINATED', reason: outcome.reason }, 'action terminated; stopped without completing it');
      return;
    case 'completed':
      if (outcome.reported) log.info({ from: 'RUNNING', to: 'COMPLETED', simulated: outcome.result.simulated === true }, 'action completed');
      return;
    case 'failed':
      if (outcome.reported) {
        log.warn({ from: 'RUNNING', to: outcome.willRetry ? 'APPROVED' : 'FAILED', retryable: outcome.retryable, error: outcome.error }, 'action failed');
      }
  }
}
