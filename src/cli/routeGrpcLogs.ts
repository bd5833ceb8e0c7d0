import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * Sends grpc-js's own log lines (by default written to stderr with console.error)
 * to the server's log. Until `started` is called its errors go out at debug
 * level: a bind that fails is logged by grpc-js and also thrown, and the thrown
 * error is what start-up reports, in one line.
 */
export function routeGrpcLogs(log: Logger): { started(): void } {
  const grpcLog = log.child({ component: 'grpc-js' });
  let starting = true;
  setLogger({
    error: (...args: unknown[]) => (starting ? grpcLog.debug(format(...args)) : grpcLog.error(format(...args))),
    info: (...args: unknown[]) => grpcLog.info(format(...args)),
    debug: (...args: unknown[]) => grpcLog.debug(format(...args)),
  });
  return {
    started: () => {
      starting = false;
    },
  };
}
