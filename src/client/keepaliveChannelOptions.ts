import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * A frozen path (a NAT or load balancer that dropped the connection's state)
 * gives no TCP error: without pings a stream on it looks healthy for as long
 * as the OS keeps the socket, which is many minutes. A ping every 10 s that
 * must be answered within 5 s finds it within 15 s.
 */
export const DEFAULT_KEEPALIVE_TIME_MS = 10_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 5_000;
/** The longest keepalive setting a command accepts: past a day a ping finds nothing in time. */
export const MAX_KEEPALIVE_MS = 24 * 3600 * 1000;

/**
 * grpc-js channel options that ping the server every `timeMs` (0 turns pings
 * off) and close the connection when a ping goes unanswered for `timeoutMs`;
 * calls on it then fail with UNAVAILABLE, and the channel reconnects.
 * Pings go out with no call open too, so an idle channel is found dead
 * before the next call is made on it.
 */
export function keepaliveChannelOptions(timeMs = DEFAULT_KEEPALIVE_TIME_MS, timeoutMs = DEFAULT_KEEPALIVE_TIMEOUT_MS): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': timeMs,
    'grpc.keepalive_timeout_ms': timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
}
