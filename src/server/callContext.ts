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

export function callContext(call: ServerSurfaceCall, shutdown: AbortSignal): DisposableCallContext {
  return new UnaryCallContext(call, shutdown);
}

/**
 * The context of one call. Its abort signal is made on first use: most calls
 * never wait, and a listener on the shared shutdown signal per call is not free.
 */
class UnaryCallContext implements DisposableCallContext {
  readonly principal = ANONYMOUS;
  private controller: AbortController | undefined;
  private readonly abort = (): void => this.controller?.abort();

  constructor(
    private readonly call: ServerSurfaceCall,
    private readonly shutdown: AbortSignal,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.call.cancelled || this.shutdown.aborted) {
        this.controller.abort();
      } else {
        this.call.once('cancelled', this.abort);
        this.shutdown.addEventListener('abort', this.abort, { once: true });
      }
    }
    return this.controller.signal;
  }

  dispose(): void {
    if (this.controller === undefined) return;
    this.call.off('cancelled', this.abort);
    this.shutdown.removeEventListener('abort', this.abort);
  }
}
