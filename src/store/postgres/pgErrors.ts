import { ConflictError } from '../../domain/errors.js';
import { StoreUnavailableError } from '../storeErrors.js';

/** The PostgreSQL error codes the store acts on (Appendix A of the PostgreSQL manual). */
export const PG = {
  UNIQUE_VIOLATION: '23505',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  UNDEFINED_TABLE: '42P01',
  INVALID_CATALOG_NAME: '3D000',
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  TOO_MANY_CONNECTIONS: '53300',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
} as const;

/** Node's errors for a socket that cannot be opened or was lost. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** What pg says when the connection went away under a query, or a connect timed out; these carry no code. */
const LOST_CONNECTION = /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection ended/i;

export function pgCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** PostgreSQL cannot be reached, or went away: another try, later or on another replica, may succeed. */
export function isConnectionFailure(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof StoreUnavailableError) return true;
    const code = pgCode(e);
    if (code.startsWith('08') || code.startsWith('57P') || code === PG.TOO_MANY_CONNECTIONS || SOCKET_ERRORS.has(code)) return true;
    if (LOST_CONNECTION.test(e.message)) return true;
  }
  return false;
}

/** Another transaction won a race PostgreSQL had to break: the step was not made, and trying again may succeed. */
export function isLostRace(err: unknown): boolean {
  const code = pgCode(err);
  return code === PG.DEADLOCK_DETECTED || code === PG.SERIALIZATION_FAILURE;
}

/** The error a caller sees for a failure of PostgreSQL itself: UNAVAILABLE or ABORTED at the edge; anything else is kept. */
export function storeError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isConnectionFailure(err)) return new StoreUnavailableError('PostgreSQL cannot be reached; try again, or another replica', { cause: err });
  if (isLostRace(err)) return new ConflictError('a concurrent change on another replica got there first; try again', { cause: err });
  return err;
}
