import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { Logger } from 'pino';
import { requireRole, type Principal, type Rpc } from '../domain/roles.js';
import type { AuthState } from './auth/AuthState.js';
import { authenticateCall } from './authenticateCall.js';
import { callContext, credentialsOf, type DisposableCallContext } from './callContext.js';
import type { ServerMetrics } from './ServerMetrics.js';

export interface StreamEnv {
  readonly auth: AuthState;
  readonly log: Logger;
  readonly metrics: ServerMetrics;
  readonly shutdown: AbortSignal;
}

/** One authenticated stream. Its context's signal aborts when the stream should end, revocation included. */
export interface OpenStream {
  readonly context: DisposableCallContext;
  /** Why the stream's credential stopped holding (the auth file changed), or null. */
  readonly revokedBy: unknown;
  close(): void;
}

interface Tracked {
  recheck(): void;
}

/**
 * The server's open streams, authenticated when they open and checked again
 * each time the auth file changes: a stream whose principal was removed, or
 * lost the role it needs, is ended with that refusal.
 */
export class OpenStreams {
  private readonly tracked = new Set<Tracked>();

  constructor(private readonly env: StreamEnv) {
    env.auth.onChange(() => {
      for (const stream of [...this.tracked]) stream.recheck();
    });
  }

  /** Authenticates and authorizes the call (throws a refusal) and tracks it until `close`. */
  open(call: ServerSurfaceCall, rpc: Rpc, authorize: (principal: Principal) => void = () => {}): OpenStream {
    const { auth, shutdown } = this.env;
    const principal = authenticateCall(call, rpc, this.env);
    requireRole(principal, rpc);
    authorize(principal);
    const credentials = credentialsOf(call);
    const revoked = new AbortController();
    const context = callContext(call, principal, AbortSignal.any([shutdown, revoked.signal]));
    const tracked: Tracked = {
      recheck: () => {
        try {
          const now = auth.authenticate(credentials);
          requireRole(now, rpc);
          authorize(now);
        } catch (err) {
          stream.revokedBy = err;
          this.env.log.warn({ rpc, principal: principal.name, peer: call.getPeer() }, 'open stream ended: its credential no longer holds');
          revoked.abort(err);
        }
      },
    };
    const stream = {
      context,
      revokedBy: null as unknown,
      close: () => {
        this.tracked.delete(tracked);
        context.dispose();
      },
    };
    this.tracked.add(tracked);
    return stream;
  }
}
