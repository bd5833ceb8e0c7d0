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
