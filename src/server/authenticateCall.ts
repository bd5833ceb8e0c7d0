import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { Logger } from 'pino';
import { ANONYMOUS, type Principal } from '../domain/roles.js';
import type { AuthState } from './auth/AuthState.js';
import type { Credentials } from './auth/Authenticator.js';
import { UnauthenticatedError } from './auth/UnauthenticatedError.js';
import { credentialsOf } from './callContext.js';
import type { ServerMetrics } from './ServerMetrics.js';

export interface AuthEnv {
  readonly auth: AuthState;
  readonly log: Logger;
  readonly metrics: ServerMetrics;
}

/**
 * The principal behind some credentials, whatever carried them; a refusal is logged
 * (reason and peer, never the token) and counted before it is thrown.
 */
export function authenticateCredentials(credentials: () => Credentials, peer: () => string, method: string, env: AuthEnv): Principal {
  // Open mode needs no credential, so none is read.
  if (env.auth.open) return ANONYMOUS;
  try {
    return env.auth.authenticate(credentials());
  } catch (err) {
    if (err instanceof UnauthenticatedError) {
      env.metrics.authFailures.inc({ reason: err.reason });
      env.log.warn({ method, reason: err.reason, peer: peer() }, 'call refused: not authenticated');
    }
    throw err;
  }
}

/** The principal behind a gRPC call. */
export function authenticateCall(call: ServerSurfaceCall, method: string, env: AuthEnv): Principal {
  return authenticateCredentials(() => credentialsOf(call), () => call.getPeer(), method, env);
}
