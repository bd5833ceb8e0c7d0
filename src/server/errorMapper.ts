import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  AlreadyExistsError,
  ConflictError,
  DomainError,
  IllegalTransitionError,
  LeaseLostError,
  NotFoundError,
  PermissionDeniedError,
  PreconditionError,
  ValidationError,
} from '../domain/errors.js';
import { StoreFullError, StoreUnavailableError } from '../store/storeErrors.js';
import { UnauthenticatedError } from './auth/UnauthenticatedError.js';

/** An error already meant for the client, with its status code; thrown at the edge. */
export class ServerError extends Error {
  override name = 'ServerError';
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}

function codeOf(err: DomainError): status {
  if (err instanceof ValidationError) return status.INVALID_ARGUMENT;
  if (err instanceof NotFoundError) return status.NOT_FOUND;
  if (err instanceof IllegalTransitionError || err instanceof PreconditionError) return status.FAILED_PRECONDITION;
  if (err instanceof LeaseLostError || err instanceof ConflictError) return status.ABORTED;
  if (err instanceof PermissionDeniedError) return status.PERMISSION_DENIED;
  if (err instanceof AlreadyExistsError) return status.ALREADY_EXISTS;
  return status.INTERNAL;
}

function serviceError(code: status, details: string, field?: string): Partial<ServiceError> {
  const metadata = new Metadata();
  if (field !== undefined) metadata.set('actiongate-field', field);
  return { code, details, message: details, metadata };
}

/**
 * The one place where errors become gRPC statuses. Domain errors keep their
 * message; anything unexpected is logged with its cause and reaches the client
 * only as a generic INTERNAL.
 */
export function toServiceError(err: unknown, log: Logger, method: string): Partial<ServiceError> {
  if (err instanceof ServerError) return serviceError(err.code, err.details);
  if (err instanceof UnauthenticatedError) return serviceError(status.UNAUTHENTICATED, err.message);
  if (err instanceof StoreFullError) return serviceError(status.RESOURCE_EXHAUSTED, err.message);
  if (err instanceof StoreUnavailableError) return serviceError(status.UNAVAILABLE, err.message);
  if (err instanceof DomainError) {
    const code = codeOf(err);
    if (code !== status.INTERNAL) return serviceError(code, err.message, err instanceof ValidationError ? err.field : undefined);
  }
  log.error({ err, method }, 'unexpected error while handling a call');
  return serviceError(status.INTERNAL, 'internal error; the server has logged the cause');
}
