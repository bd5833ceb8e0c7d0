import { once, type EventEmitter } from 'node:events';

/** A stream that says when its buffer is full (write returns false) and emits 'drain' once it empties: a grpc-js server stream, an HTTP response. */
export interface DrainableStream<T> extends EventEmitter {
  write(message: T): boolean;
}

/**
 * Writes one message, waiting for 'drain' when the stream's buffer is full so a
 * slow reader slows its own stream and nothing else. Resolves false once the
 * signal aborts instead of waiting forever.
 */
export async function writeWithBackpressure<T>(stream: DrainableStream<T>, message: T, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (stream.write(message)) return true;
  try {
    await once(stream, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}
