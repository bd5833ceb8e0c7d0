import type { FastifyRequest } from 'fastify';
import { PermissionDeniedError } from '../../domain/errors.js';
import { requireRole, type Principal, type Rpc } from '../../domain/roles.js';
import type { Credentials } from '../auth/Authenticator.js';
import { authenticateCredentials } from '../authenticateCall.js';
import { isLoopbackHost } from '../isLoopbackHost.js';
import type { ApiEnv } from './ApiEnv.js';

/** What an HTTP request presents: its `Authorization` header (the side port has no client certificates). */
export function requestCredentials(request: FastifyRequest): Credentials {
  return { authorization: request.headers.authorization ?? null, certificateCn: null };
}

/**
 * The principal behind a request, with the role `rpc` needs (null: any principal).
 * Without an auth file every caller is `anonymous` and may do anything, so then only
 * loopback callers that address the server by a loopback name are answered, unless
 * the operator chose --allow-unauthenticated.
 */
export function authenticateRequest(request: FastifyRequest, rpc: Rpc | null, env: ApiEnv): Principal {
  // The path, not the URL: a token someone put in the query string must not reach the log.
  const method = rpc ?? request.url.split('?')[0]!;
  if (env.auth.open && !env.config.allowUnauthenticated) {
    if (!isLoopbackHost(request.socket.remoteAddress ?? '')) {
      throw new PermissionDeniedError('this server has no auth file, so its JSON API answers callers on loopback only; start it with --auth-file');
    }
    // A page elsewhere whose name now resolves to 127.0.0.1 (DNS rebinding) is same-origin with itself: only the Host it names gives it away.
    if (!isLoopbackHost(request.hostname)) {
      throw new PermissionDeniedError(`this server has no auth file, so its JSON API answers requests addressed to 127.0.0.1, localhost or [::1] only, not ${request.hostname.slice(0, 64)}`);
    }
  }
  const principal = authenticateCredentials(() => requestCredentials(request), () => request.ip, method, env);
  if (rpc !== null) requireRole(principal, rpc);
  return principal;
}
