import { once } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';

/**
 * Writes one message, waiting for 'drain' when grpc-js's buffer is full so a
 * slow reader slows its own stream and nothing else. Resolves false once the
 * signal aborts instead of waiting forever.
 */
export async function writeWithBackpressure<Res>(
  call: ServerWritableStream<unknown, Res>,
  message: Res,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted) return false;
  if (call.write(message)) return true;
  try {
    await once(call, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
