/**
 * The one retry schedule of actiongate: the SDK's reconnects, the executor's
 * retries and the server's webhook deliveries all wait this way.
 */
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

/** The delay before retry number `attempt` (0-based): capped exponential, then jittered. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** attempt);
  const spread = base * policy.jitter;
  return Math.round(base - spread + 2 * spread * random());
}
