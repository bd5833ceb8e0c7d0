import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { Principal } from '../domain/roles.js';
import type { Credentials } from './auth/Authenticator.js';

/** Who made a call, and when the call stops mattering. */
export interface CallContext {
  /** Who the credential says is calling. */
  readonly principal: Principal;
  /** The principal's name, as history records it. */
  readonly actor: string;
  /** Aborts when the client cancels or the server shuts down. */
  readonly signal: AbortSignal;
}

export interface DisposableCallContext extends CallContext {
  /** Detaches from the call and the server's shutdown signal once the call has answered. */
  dispose(): void;
}

/** What a call presents to be authenticated: its bearer token and, under mutual TLS, its certificate. */
export function credentialsOf(call: ServerSurfaceCall): Credentials {
  const [authorization] = call.metadata.get('authorization');
  const certificate = call.getAuthContext().sslPeerCertificate;
  const cn = certificate?.subject?.CN;
  return {
    authorization: typeof authorization === 'string' ? authorization : null,
    certificateCn: typeof cn === 'string' && cn !== '' ? cn : null,
  };
}

/** How a transport tells that its caller went away before the answer. */
export interface CallerPresence {
  gone(): boolean;
  onGone(listener: () => void): void;
  offGone(listener: () => void): void;
}

/** A gRPC call's context: the caller is gone once the call is cancelled. */
export function callContext(call: ServerSurfaceCall, principal: Principal, shutdown: AbortSignal): DisposableCallContext {
  return new LazyCallContext(
    { gone: () => call.cancelled, onGone: (listener) => call.once('cancelled', listener), offGone: (listener) => call.off('cancelled', listener) },
    principal,
    shutdown,
  );
}

/**
 * The context of one call, whatever the transport. Its abort signal is made on
 * first use: most calls never wait, and a listener on the shared shutdown signal
 * per call is not free.
 */
export class LazyCallContext implements DisposableCallContext {
  private controller: AbortController | undefined;
  private readonly abort = (): void => this.controller?.abort();

  constructor(
    private readonly caller: CallerPresence,
    readonly principal: Principal,
    private readonly shutdown: AbortSignal,
  ) {}

  get actor(): string {
    return this.principal.name;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.caller.gone() || this.shutdown.aborted) {
        this.controller.abort();
      } else {
        this.caller.onGone(this.abort);
        this.shutdown.addEventListener('abort', this.abort, { once: true });
      }
    }
    return this.controller.signal;
  }

  dispose(): void {
    if (this.controller === undefined) return;
    this.caller.offGone(this.abort);
    this.shutdown.removeEventListener('abort', this.abort);
  }
}
