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
    options?: ErrorOptions,
  ) {
    super(details, options);
  }
}

/** What a client is told about a failed call, whatever the transport. */
export interface ClientError {
  readonly code: status;
  readonly message: string;
  /** The request field that is wrong, when one is. */
  readonly field?: string;
  /** For an illegal move: the action and the status it is in. */
  readonly action?: { readonly id: string; readonly status: string };
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

/**
 * The one place where errors become what a client sees. Domain errors keep their
 * message; anything unexpected is logged with its cause and reaches the client
 * only as a generic INTERNAL.
 */
export function toClientError(err: unknown, log: Logger, method: string): ClientError {
  if (err instanceof ServerError) return { code: err.code, message: err.details };
  if (err instanceof UnauthenticatedError) return { code: status.UNAUTHENTICATED, message: err.message };
  if (err instanceof StoreFullError) return { code: status.RESOURCE_EXHAUSTED, message: err.message };
  if (err instanceof StoreUnavailableError) return { code: status.UNAVAILABLE, message: err.message };
  if (err instanceof DomainError) {
    const code = codeOf(err);
    if (err instanceof ValidationError) return { code, message: err.message, field: err.field };
    if (err instanceof IllegalTransitionError) return { code, message: err.message, action: { id: err.actionId, status: err.current } };
    if (code !== status.INTERNAL) return { code, message: err.message };
  }
  log.error({ err, method }, 'unexpected error while handling a call');
  return { code: status.INTERNAL, message: 'internal error; the server has logged the cause' };
}

/** The gRPC status of a failed call; a wrong field is named in the `actiongate-field` trailer too. */
export function toServiceError(err: unknown, log: Logger, method: string): Partial<ServiceError> {
  const { code, message, field } = toClientError(err, log, method);
  const metadata = new Metadata();
  if (field !== undefined) metadata.set('actiongate-field', field);
  return { code, details: message, message, metadata };
}
