import type { handleUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { callContext, type CallContext } from './callContext.js';
import { toServiceError } from './errorMapper.js';

/** Adapts a promise-returning handler to grpc-js, with every failure going through the one error mapper. */
export function unaryHandler<Req, Res>(
  method: string,
  log: Logger,
  shutdown: AbortSignal,
  handle: (request: Req, context: CallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const context = callContext(call, shutdown);
    let answer: Promise<Res>;
    try {
      answer = handle(call.request, context);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer
      .then(
        (response) => callback(null, response),
        (err: unknown) => callback(toServiceError(err, log, method)),
      )
      .finally(() => context.dispose());
  };
}
