import { status } from '@grpc/grpc-js';

export { BACKOFF_JITTER, BACKOFF_MULTIPLIER, DEFAULT_BACKOFF, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS, backoffDelay, type BackoffPolicy } from '../shared/backoff.js';

/** Stream statuses worth reconnecting after; anything else is a mistake reconnecting cannot fix. */
export const RETRYABLE_STATUSES: ReadonlySet<status> = new Set([
  status.OK,
  status.CANCELLED,
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.ABORTED,
  status.INTERNAL,
  status.UNAVAILABLE,
]);
