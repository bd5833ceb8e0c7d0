// The executor SDK and typed clients, as the package exports them.
export { ActionClient, type ClientOptions } from './client/ActionClient.js';
export { ControlClient } from './client/ControlClient.js';
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
export { sleep } from './shared/abortableWait.js';
export type { RequestOptions } from './client/unaryCall.js';
export * from './gen/actiongate/v1/action.js';
export * from './gen/actiongate/v1/action_service.js';
export * from './gen/actiongate/v1/control_service.js';
