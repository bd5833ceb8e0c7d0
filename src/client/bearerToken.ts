import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';

/**
 * Sends `authorization: Bearer TOKEN` with every call, streams included. An
 * interceptor rather than call credentials: grpc-js attaches call credentials
 * only over TLS, and a token on a loopback plaintext channel is still wanted.
 */
export function bearerToken(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}
