import { status, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'vitest';

/** The gRPC error a call was refused with; fails the test if the call succeeded or threw something else. */
export async function grpcError(call: Promise<unknown>): Promise<ServiceError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (err) {
    const candidate = err as Partial<ServiceError>;
    if (typeof candidate?.code !== 'number') throw new Error('the call failed without a gRPC status', { cause: err });
    return err as ServiceError;
  }
  throw new Error(`the call was expected to fail but answered ${JSON.stringify(outcome)}`);
}

/** Asserts the call fails with `code` and that its details contain every one of `mentions`. */
export async function expectGrpcError(call: Promise<unknown>, code: status, ...mentions: (string | RegExp)[]): Promise<ServiceError> {
  const err = await grpcError(call);
  expect(status[err.code], `details: ${err.details}`).toBe(status[code]);
  for (const mention of mentions) {
    if (typeof mention === 'string') expect(err.details).toContain(mention);
    else expect(err.details).toMatch(mention);
  }
  return err;
}

/**
 * Polls `read` until `accept` holds for its result, or fails after `timeoutMs`.
 * For conditions the server reaches on its own (a sweep, a commit seen by a watcher).
 */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  accept: (value: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 25, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${safeJson(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 2000) ?? String(value);
  } catch {
    return String(value);
  }
}
