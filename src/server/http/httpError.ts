import { status } from '@grpc/grpc-js';
import type { ClientError } from '../errorMapper.js';

/** The body of every refusal the JSON API answers with. */
export interface ApiErrorBody {
  /** The gRPC status name in lower case: `failed_precondition`, `not_found`, ... */
  readonly error: string;
  readonly message: string;
  readonly details: Readonly<Record<string, string>>;
}

export interface HttpRefusal {
  readonly statusCode: number;
  readonly body: ApiErrorBody;
}

/** HTTP statuses for gRPC codes, as the issue asks (409 for every refused move, where Google's table has 400 for some). */
const HTTP_STATUS: ReadonlyMap<status, number> = new Map([
  [status.INVALID_ARGUMENT, 400],
  [status.OUT_OF_RANGE, 400],
  [status.UNAUTHENTICATED, 401],
  [status.PERMISSION_DENIED, 403],
  [status.NOT_FOUND, 404],
  [status.ALREADY_EXISTS, 409],
  [status.FAILED_PRECONDITION, 409],
  [status.ABORTED, 409],
  [status.RESOURCE_EXHAUSTED, 429],
  [status.CANCELLED, 499],
  [status.UNAVAILABLE, 503],
  [status.DEADLINE_EXCEEDED, 504],
]);

/**
 * The operations name request fields as the proto does; the API's path and query
 * call three of them otherwise, and a refusal names the field the caller sent.
 */
const API_FIELD: ReadonlyMap<string, string> = new Map([['action_id', 'id'], ['statuses', 'status'], ['action_type', 'type']]);

// A Map, not an object: a field a caller named `__proto__` or `constructor` must not find the object's prototype.
function apiField(field: string): string {
  const base = field.replace(/\[\d+\]$/, '');
  return API_FIELD.get(base) ?? field;
}

export function httpStatusOf(code: status): number {
  return HTTP_STATUS.get(code) ?? 500;
}

/** A client error (from the one error mapper) as the JSON API answers it. */
export function httpRefusal(err: ClientError): HttpRefusal {
  const details: Record<string, string> = {};
  let message = err.message;
  if (err.field !== undefined) {
    details.field = apiField(err.field);
    // A ValidationError's message starts with the field's proto name.
    if (details.field !== err.field && message.startsWith(`${err.field}:`)) message = `${details.field}${message.slice(err.field.length)}`;
  }
  if (err.action !== undefined) {
    details.actionId = err.action.id;
    details.status = `ACTION_STATUS_${err.action.status}`;
  }
  return { statusCode: httpStatusOf(err.code), body: { error: status[err.code].toLowerCase(), message, details } };
}

/** A refusal made at the HTTP edge itself (a body too large, a route that does not exist). */
export function edgeRefusal(statusCode: number, error: string, message: string, details: Record<string, string> = {}): HttpRefusal {
  return { statusCode, body: { error, message, details } };
}
