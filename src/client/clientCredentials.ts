import { credentials, type ChannelCredentials } from '@grpc/grpc-js';

/** PEM text or bytes for a TLS connection to actiongate. */
export interface ClientTls {
  /** The CA that signed the server's certificate; absent, Node's default roots decide. */
  readonly ca?: Buffer | string;
  /** This client's certificate chain and its key, for mutual TLS; both or neither. */
  readonly cert?: Buffer | string;
  readonly key?: Buffer | string;
}

function bytes(pem: Buffer | string | undefined): Buffer | null {
  return pem === undefined ? null : Buffer.isBuffer(pem) ? pem : Buffer.from(pem);
}

/**
 * Channel credentials for TLS, or mutual TLS with `cert` and `key`: pass them as
 * `ClientOptions.credentials` (or `ExecutorSessionOptions.client.credentials`).
 * A bearer token, when one is given too, travels inside the TLS connection.
 */
export function clientCredentials(tls: ClientTls): ChannelCredentials {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError('clientCredentials: a client certificate needs its key, and a key its certificate');
  }
  return credentials.createSsl(bytes(tls.ca), bytes(tls.key), bytes(tls.cert));
}
