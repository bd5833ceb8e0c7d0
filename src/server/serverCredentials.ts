import { createSecureContext } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import { ConfigError } from '../shared/ConfigError.js';
import { readConfigFile } from '../shared/readConfigFile.js';
import type { ServerTlsConfig } from './ServerConfig.js';

function readPem(file: string, what: string, flag: string): Buffer {
  return readConfigFile(file, what, ` (${flag})`);
}

/**
 * Plaintext without TLS settings; TLS with them; with a client CA, mutual TLS:
 * a client must present a certificate that CA signed, or the handshake fails.
 * The files are checked here, at start, so a key that does not match its
 * certificate is one line now rather than a failed handshake per client later.
 */
export function serverCredentials(tls: ServerTlsConfig | null): ServerCredentials {
  if (tls === null) return ServerCredentials.createInsecure();
  const cert = readPem(tls.certFile, 'the TLS certificate', '--tls-cert');
  const key = readPem(tls.keyFile, 'the TLS key', '--tls-key');
  const ca = tls.clientCaFile === null ? null : readPem(tls.clientCaFile, 'the client CA', '--tls-client-ca');
  try {
    createSecureContext({ cert, key, ...(ca === null ? {} : { ca }) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`TLS files refused (--tls-cert ${tls.certFile}, --tls-key ${tls.keyFile}${ca === null ? '' : `, --tls-client-ca ${tls.clientCaFile}`}): ${why}`, { cause: err });
  }
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}
