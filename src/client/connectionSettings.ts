import { ConfigError } from '../shared/ConfigError.js';

/** The flags every client command takes (operator commands, watch, executor), for node:util parseArgs. */
export const CONNECTION_FLAGS = {
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

/** What a client command was told about reaching the server: which credential and which files to read. */
export interface ConnectionSettings {
  /** A bearer token given as such (`--token`, ACTIONGATE_TOKEN); never logged. */
  readonly token: string | null;
  /** A file whose first line is the bearer token. */
  readonly tokenFile: string | null;
  /** TLS when set: the CA that signed the server's certificate. */
  readonly tlsCa: string | null;
  /** A client certificate and its key, for mutual TLS. */
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
}

/** The characters a bearer token may hold (RFC 6750's b64token), as the server reads it. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{1,4096}$/;

type ConnectionValues = { readonly [K in keyof typeof CONNECTION_FLAGS]?: string };

/**
 * The connection flags checked, files not yet read. Flags win over the
 * environment; a token and a token file together, a certificate without its
 * key, or a client certificate without `--tls-ca` are refused.
 */
export function connectionSettings(values: ConnectionValues, env: Readonly<Record<string, string | undefined>>): ConnectionSettings {
  const tokenFile = values['token-file'] ?? null;
  if (values.token !== undefined && tokenFile !== null) throw new ConfigError('give --token or --token-file, not both');
  const token = values.token ?? (tokenFile === null ? env.ACTIONGATE_TOKEN ?? null : null);
  if (token !== null && !TOKEN_PATTERN.test(token)) {
    throw new ConfigError(`--token${values.token === undefined ? ' (ACTIONGATE_TOKEN)' : ''} must be the token \`actiongate auth add\` printed: letters, digits and . _ ~ + / = -`);
  }
  const tlsCa = values['tls-ca'] ?? null;
  const tlsCert = values['tls-cert'] ?? null;
  const tlsKey = values['tls-key'] ?? null;
  if (tlsCert !== null && tlsKey === null) throw new ConfigError('--tls-cert needs --tls-key, the private key of the client certificate');
  if (tlsKey !== null && tlsCert === null) throw new ConfigError('--tls-key needs --tls-cert, the client certificate it belongs to');
  if (tlsCert !== null && tlsCa === null) throw new ConfigError('--tls-cert needs --tls-ca, the CA that signed the server\'s certificate');
  for (const [flag, file] of [['--token-file', tokenFile], ['--tls-ca', tlsCa], ['--tls-cert', tlsCert], ['--tls-key', tlsKey]] as const) {
    if (file !== null && file.trim() === '') throw new ConfigError(`${flag} must name a file`);
  }
  return { token, tokenFile, tlsCa, tlsCert, tlsKey };
}
