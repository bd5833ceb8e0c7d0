import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import type { AuthState } from './auth/AuthState.js';

const REFLECTION = '/grpc.reflection.';

/**
 * Server reflection describes the whole API, so under an auth file it needs a
 * valid credential like any other call. Health stays open to all; our own
 * services authenticate in their handlers, where the principal is needed.
 */
export function reflectionAuth(auth: AuthState): ServerInterceptor {
  return (method, call) => {
    if (!method.path.startsWith(REFLECTION)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, passOn) => {
            const [authorization] = metadata.get('authorization');
            const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN;
            try {
              auth.authenticate({
                authorization: typeof authorization === 'string' ? authorization : null,
                certificateCn: typeof cn === 'string' && cn !== '' ? cn : null,
              });
            } catch (err) {
              call.sendStatus({ code: status.UNAUTHENTICATED, details: err instanceof Error ? err.message : 'not authenticated', metadata: new Metadata() });
              return;
            }
            passOn(metadata);
          },
        }),
    });
  };
}
