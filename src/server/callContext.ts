import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';

/** Who made a call, and when the call stops mattering. */
export interface CallContext {
  readonly principal: string;
  /** Aborts when the client cancels or the server shuts down. Made on first use: most calls never wait. */
  readonly signal: AbortSignal;
}

export interface DisposableCallContext extends CallContext {
  /** Detaches from the server's shutdown signal once the call has answered. */
  dispose(): void;
}

/** Until authentication arrives every caller is the same principal, recorded as such. */
export const ANONYMOUS = 'anonymous';

export function callContext(call: ServerSurfaceCall, shutdown: AbortSignal): DisposableCallContext {
  return new LazyCallContext(call, shutdown);
}

/**
 * A class, not an object literal with a getter: V8 keeps a literal's accessor
 * in its hidden class, so every call would make a new one.
 */
class LazyCallContext implements DisposableCallContext {
  readonly principal = ANONYMOUS;
  private controller: AbortController | undefined = undefined;
  private abort: (() => void) | undefined = undefined;

  constructor(
    private readonly call: ServerSurfaceCall,
    private readonly shutdown: AbortSignal,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.call.cancelled || this.shutdown.aborted) {
        controller.abort();
      } else {
        this.abort = () => controller.abort();
        this.call.once('cancelled', this.abort);
        this.shutdown.addEventListener('abort', this.abort, { once: true });
      }
    }
    return this.controller.signal;
  }

  dispose(): void {
    if (this.abort !== undefined) this.shutdown.removeEventListener('abort', this.abort);
  }
}
