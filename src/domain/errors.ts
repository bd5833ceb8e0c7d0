import type { ActionStatus } from './actionStatus.js';

/**
 * Errors the domain raises on purpose. The gRPC edge maps each class to one
 * status code; anything else is an internal error.
 */
export abstract class DomainError extends Error {
  override name = 'DomainError';
}

/** A request field is missing, malformed or out of range. */
export class ValidationError extends DomainError {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

/** A move the transition table does not allow from the action's current status. */
const PARTICIPLES: Readonly<Record<string, string>> = {
  approve: 'approved', endorse: 'approved', reject: 'rejected', expire: 'expired', claim: 'claimed', complete: 'completed',
  fail: 'failed', retry: 'retried', terminate: 'terminated', pause: 'paused', resume: 'resumed', heartbeat: 'kept by a heartbeat',
};

const orList = (items: readonly string[]): string =>
  items.length === 1 ? items[0]! : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;

export class IllegalTransitionError extends DomainError {
  override name = 'IllegalTransitionError';
  /** `allowedFrom`: the statuses the move starts from, so the message says what would have worked. */
  constructor(
    readonly actionId: string,
    readonly current: ActionStatus,
    readonly move: string,
    allowedFrom: readonly ActionStatus[] = [],
  ) {
    super(
      allowedFrom.length === 0
        ? `action ${actionId} is ${current}; cannot ${move} it`
        : `action ${actionId} is ${current}; only ${orList(allowedFrom)} actions can be ${PARTICIPLES[move] ?? `${move}ed`}`,
    );
  }
}

/** A lease id that no longer holds the action: expired, superseded or revoked. */
export class LeaseLostError extends DomainError {
  override name = 'LeaseLostError';
  constructor(actionId: string, detail: string) {
    super(`lease on action ${actionId} no longer holds: ${detail}; claim the action again with Execute`);
  }
}

/** The request is well formed but the system's state refuses it (a global halt, say). */
export class PreconditionError extends DomainError {
  override name = 'PreconditionError';
}

/** Someone else changed the action first; retrying may succeed. */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}

/** The caller is known, and may not do this. */
export class PermissionDeniedError extends DomainError {
  override name = 'PermissionDeniedError';
}

/** What is being created exists already, and differs from what was asked for now. */
export class AlreadyExistsError extends DomainError {
  override name = 'AlreadyExistsError';
}
