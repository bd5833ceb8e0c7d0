import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import { ANONYMOUS, type Principal } from '../domain/roles.js';
import type { AuthState } from './auth/AuthState.js';
import { UnauthenticatedError } from './auth/UnauthenticatedError.js';
import { credentialsOf } from './callContext.js';
import type { ServerMetrics } from './ServerMetrics.js';
import type { Logger } from 'pino';

/** The principal behind a call; a refusal is logged (reason and peer, never the token) and counted before it is thrown. */
export function authenticateCall(call: ServerSurfaceCall, method: string, env: { auth: AuthState; log: Logger; metrics: ServerMetrics }): Principal {
  // Open mode needs no credential, so none is read.
  if (env.auth.open) return ANONYMOUS;
  try {
    return env.auth.authenticate(credentialsOf(call));
  } catch (err) {
    if (err instanceof UnauthenticatedError) {
      env.metrics.authFailures.inc({ reason: err.reason });
      env.log.warn({ method, reason: err.reason, peer: call.getPeer() }, 'call refused: not authenticated');
    }
    throw err;
  }
}
