import { status } from '@grpc/grpc-js';

export const INITIAL_BACKOFF_MS = 1000;
export const BACKOFF_MULTIPLIER = 2;
export const MAX_BACKOFF_MS = 32_000;
/** Each delay is spread uniformly over ±20% so executors that lost the same server do not return in step. */
export const BACKOFF_JITTER = 0.2;

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: INITIAL_BACKOFF_MS,
  multiplier: BACKOFF_MULTIPLIER,
  maxMs: MAX_BACKOFF_MS,
  jitter: BACKOFF_JITTER,
};

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

/** The delay before reconnect number `attempt` (0-based): capped exponential, then jittered. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** attempt);
  const spread = base * policy.jitter;
  return Math.round(base - spread + 2 * spread * random());
}
