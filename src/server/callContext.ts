import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';

/** Who made a call, and when the call stops mattering. */
export interface CallContext {
  readonly principal: string;
  /** Aborts when the client cancels or the server shuts down. */
  readonly signal: AbortSignal;
}

export interface DisposableCallContext extends CallContext {
  /** Detaches from the call and the server's shutdown signal once the call has answered. */
  dispose(): void;
}

/** Until authentication arrives every caller is the same principal, recorded as such. */
export const ANONYMOUS = 'anonymous';

/**
 * The context of one call. The abort signal is made on first use: most calls
 * never wait, and a listener on the shared shutdown signal per call is not free.
 */
export function callContext(call: ServerSurfaceCall, shutdown: AbortSignal): DisposableCallContext {
  let controller: AbortController | undefined;
  const abort = (): void => controller?.abort();
  return {
    principal: ANONYMOUS,
    get signal(): AbortSignal {
      if (controller === undefined) {
        controller = new AbortController();
        if (call.cancelled || shutdown.aborted) {
          controller.abort();
        } else {
          call.once('cancelled', abort);
          shutdown.addEventListener('abort', abort, { once: true });
        }
      }
      return controller.signal;
    },
    dispose(): void {
      if (controller === undefined) return;
      call.off('cancelled', abort);
      shutdown.removeEventListener('abort', abort);
    },
  };
}
