// What `import ... from 'actiongate'` gives: the typed clients, the executor side of the
// kill switch, the executor API, and the generated message types. Never the server or the store.
export { ActionClient, type ClientOptions } from './client/ActionClient.js';
export { ControlClient } from './client/ControlClient.js';
export { clientCredentials, type ClientTls } from './client/clientCredentials.js';
export { ControlSubscriber, type ConnectionState, type ControlSubscriberOptions } from './client/ControlSubscriber.js';
export { ActionGuard, ActionTerminatedError } from './client/ActionGuard.js';
export { LocalControlState, type RunState, type ActionHold, type HaltHold } from './client/LocalControlState.js';
export type { ClientSignal, SignalKind } from './client/ClientSignal.js';
export {
  backoffDelay,
  DEFAULT_BACKOFF,
  RETRYABLE_STATUSES,
  INITIAL_BACKOFF_MS,
  BACKOFF_MULTIPLIER,
  MAX_BACKOFF_MS,
  BACKOFF_JITTER,
  type BackoffPolicy,
} from './client/backoff.js';
export type { RequestOptions } from './client/unaryCall.js';
export { sleep } from './shared/abortableWait.js';

export { ExecutorSession, type ExecutorSessionOptions, type ClaimRequest } from './executor/ExecutorSession.js';
export { ClaimedAction, type ActionOutcome, type ClaimedActionOptions, type RunOptions } from './executor/ClaimedAction.js';
export { LeaseKeeper, type LeaseKeeperOptions } from './executor/LeaseKeeper.js';
export { HandlerError } from './executor/HandlerError.js';
export type { ActionHandler, HandlerContext, HandlerResult } from './executor/ActionHandler.js';
export { SILENT_LOG, type ExecutorLog, type LogMethod } from './executor/ExecutorLog.js';

export * from './gen/actiongate/v1/action.js';
export * from './gen/actiongate/v1/action_service.js';
export * from './gen/actiongate/v1/control_service.js';
