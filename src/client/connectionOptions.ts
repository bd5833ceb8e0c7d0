import type { ChannelCredentials } from '@grpc/grpc-js';
import { ConfigError } from '../shared/ConfigError.js';
import { readConfigFile } from '../shared/readConfigFile.js';
import { clientCredentials } from './clientCredentials.js';
import { TOKEN_PATTERN, type ConnectionSettings } from './connectionSettings.js';
import type { ClientOptions } from './GrpcClient.js';

function read(flag: string, file: string): Buffer {
  return readConfigFile(file, flag);
}

/** The token file's first line; its text never reaches an error message. */
function tokenFromFile(file: string): string {
  const token = read('--token-file', file).toString('utf8').split('\n', 1)[0]!.trim();
  if (token === '') throw new ConfigError(`--token-file ${file} is empty: its first line must be the token`);
  if (!TOKEN_PATTERN.test(token)) throw new ConfigError(`--token-file ${file}: its first line is not a token (letters, digits and . _ ~ + / = -)`);
  return token;
}

function tlsCredentials(ca: string, cert: string | null, key: string | null): ChannelCredentials {
  const files = { ca: read('--tls-ca', ca), ...(cert === null || key === null ? {} : { cert: read('--tls-cert', cert), key: read('--tls-key', key) }) };
  try {
    return clientCredentials(files);
  } catch (err) {
    const named = [`--tls-ca ${ca}`, ...(cert === null ? [] : [`--tls-cert ${cert}`, `--tls-key ${key}`])].join(', ');
    throw new ConfigError(`TLS files refused (${named}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Reads the files the settings name and returns the token and channel credentials to connect with. */
export function connectionOptions(settings: ConnectionSettings): Pick<ClientOptions, 'token' | 'credentials'> {
  const token = settings.tokenFile !== null ? tokenFromFile(settings.tokenFile) : settings.token;
  const tls = settings.tlsCa === null ? undefined : tlsCredentials(settings.tlsCa, settings.tlsCert, settings.tlsKey);
  return { ...(token === null ? {} : { token }), ...(tls === undefined ? {} : { credentials: tls }) };
}
