import { status, type handleUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { callContext, type CallContext, type DisposableCallContext } from './callContext.js';
import { toServiceError } from './errorMapper.js';
import type { ServerMetrics } from './ServerMetrics.js';

/** What every handler needs from the server around it. */
export interface HandlerEnv {
  readonly log: Logger;
  /** Aborts when the server starts shutting down. */
  readonly shutdown: AbortSignal;
  readonly metrics: ServerMetrics;
}

/** Adapts a promise-returning handler to grpc-js, with every failure going through the one error mapper. */
export function unaryHandler<Req, Res>(
  method: string,
  env: HandlerEnv,
  handle: (request: Req, context: CallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  const { log, shutdown, metrics } = env;
  const timer = metrics.handlingSeconds.labels(method);
  // One child counter per status code, made once: labelling by object hashes the labels on every call.
  const counters = new Map<status, { inc(): void }>();
  const answered = (code: status): void => {
    let counter = counters.get(code);
    if (counter === undefined) counters.set(code, (counter = metrics.handled.labels({ grpc_method: method, grpc_code: status[code] })));
    counter.inc();
  };
  // Made once per method, not per call: the TypeScript loader keeps function
  // names, which costs an Object.defineProperty for every named closure made.
  const finish = (code: status, started: number, context: DisposableCallContext): void => {
    answered(code);
    timer.observe((performance.now() - started) / 1000);
    context.dispose();
  };
  return (call, callback) => {
    const started = performance.now();
    const context = callContext(call, shutdown);
    let answer: Promise<Res>;
    try {
      answer = handle(call.request, context);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (response) => {
        try {
          callback(null, response);
        } finally {
          finish(status.OK, started, context);
        }
      },
      (err: unknown) => {
        let code = status.INTERNAL;
        try {
          const error = toServiceError(err, log, method);
          code = error.code ?? status.UNKNOWN;
          callback(error);
        } finally {
          finish(code, started, context);
        }
      },
    );
  };
}
