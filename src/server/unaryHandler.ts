import { status, type handleUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { requireRole, type Rpc } from '../domain/roles.js';
import type { AuthState } from './auth/AuthState.js';
import { authenticateCall } from './authenticateCall.js';
import { callContext } from './callContext.js';
import { refusalOf } from './depthLimitedDecoding.js';
import { toServiceError } from './errorMapper.js';
import type { Operation } from './Operation.js';
import type { OpenStreams } from './OpenStreams.js';
import type { ServerMetrics } from './ServerMetrics.js';

/** What every handler needs from the server around it. */
export interface HandlerEnv {
  readonly log: Logger;
  /** Aborts when the server starts shutting down. */
  readonly shutdown: AbortSignal;
  readonly metrics: ServerMetrics;
  readonly auth: AuthState;
  /** Streams check their credential again whenever the auth file changes. */
  readonly streams: OpenStreams;
}

/**
 * Adapts an operation to grpc-js: the caller is authenticated and its role
 * checked before the operation runs, and every failure goes through the one
 * error mapper.
 */
export function unaryHandler<Req, Res>(
  method: Rpc,
  env: HandlerEnv,
  handle: Operation<Req, Res>,
): handleUnaryCall<Req, Res> {
  const { log, shutdown, metrics } = env;
  // prom-client hashes a label set on every labelled call; a child per series is made once.
  const timer = metrics.handlingSeconds.labels({ grpc_method: method });
  const answered = new Map<status, { inc(): void }>();
  const countAnswer = (code: status): void => {
    let counter = answered.get(code);
    if (counter === undefined) answered.set(code, (counter = metrics.handled.labels({ grpc_method: method, grpc_code: status[code] })));
    counter.inc();
  };
  return async (call, callback) => {
    const stopTimer = timer.startTimer();
    let code = status.OK;
    let response: Res | undefined;
    let error: Partial<ServiceError> | null = null;
    try {
      const principal = authenticateCall(call, method, env);
      requireRole(principal, method);
      const refused = refusalOf(call.request);
      if (refused !== null) throw refused;
      const context = callContext(call, principal, shutdown);
      try {
        response = await handle(call.request, context);
      } finally {
        context.dispose();
      }
    } catch (err) {
      error = toServiceError(err, log, method);
      code = error.code ?? status.UNKNOWN;
    }
    countAnswer(code);
    stopTimer();
    callback(error, response);
  };
}
