import { parseArgs } from 'node:util';
import { MAX_KEEPALIVE_MS } from '../client/keepaliveChannelOptions.js';
import { OpenModeRefusedError } from '../server/OpenModeRefusedError.js';
import { DEFAULT_CONFIG, type ServerConfig, type ServerTlsConfig } from '../server/ServerConfig.js';
import { ConfigError } from '../shared/ConfigError.js';
import { parseLogLevel } from '../shared/logLevels.js';
import { parseAddress } from '../shared/parseAddress.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';

export { ConfigError };

export interface ServeOptions {
  readonly config: ServerConfig;
  /** A JSON file of extra action types, read by the caller. */
  readonly catalogFile: string | null;
  /** Run SQLite's quick_check on the database at start; `--skip-quick-check` turns it off for a very large one. */
  readonly quickCheck: boolean;
  /** PostgreSQL instead of SQLite in the data directory: several replicas may share it. */
  readonly databaseUrl: string | null;
}

const DATABASE_URL = /^postgres(ql)?:\/\//;

/** `--database-url` (env ACTIONGATE_DATABASE_URL): a postgres:// URL, or null for SQLite. */
export function parseDatabaseUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!DATABASE_URL.test(raw)) throw new ConfigError('--database-url must be a postgres:// or postgresql:// URL (e.g. postgres://USER@HOST/DB)');
  return raw;
}

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1, max?: number): number {
  return raw === undefined ? fallback : parseWholeNumber(name, raw, min, max);
}

/** TLS settings: a certificate needs its key, and a client CA needs the server's own certificate. */
function tlsConfig(cert: string | undefined, key: string | undefined, clientCa: string | undefined): ServerTlsConfig | null {
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new ConfigError('--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is served over TLS');
    return null;
  }
  if (cert === undefined) throw new ConfigError('--tls-key needs --tls-cert, the certificate it belongs to');
  if (key === undefined) throw new ConfigError('--tls-cert needs --tls-key, the private key of the certificate');
  return { certFile: cert, keyFile: key, clientCaFile: clientCa ?? null };
}

/** An http or https URL, checked; the message names the flag but not the URL, which may hold a secret. */
function httpUrl(flag: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch (err) {
    throw new ConfigError(`${flag} must be an http:// or https:// URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${flag} must be an http:// or https:// URL, not ${url.protocol}`);
  return url;
}

/** `--notify-webhook` (repeatable) or ACTIONGATE_NOTIFY_WEBHOOK (comma-separated), each checked. */
function notifyWebhooks(flags: readonly string[] | undefined, env: string | undefined): string[] {
  const raw = flags ?? (env ?? '').split(',').filter((url) => url.trim() !== '');
  return [...new Set(raw.map((url) => httpUrl('--notify-webhook', url).href))];
}

function publicUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  const url = httpUrl('--public-url', raw);
  if (url.search !== '' || url.hash !== '') throw new ConfigError('--public-url must be the inbox\'s address without a query or fragment, e.g. https://actiongate.example.com');
  return url.href.replace(/\/+$/, '');
}

/**
 * The `serve` command's settings from its arguments and environment, validated,
 * with every default written out in DEFAULT_CONFIG. Flags win over environment.
 */
export function loadServeConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServeOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: 'string' },
      'http-listen': { type: 'string' },
      'data-dir': { type: 'string' },
      catalog: { type: 'string' },
      'max-attempts': { type: 'string' },
      'max-payload-bytes': { type: 'string' },
      'sweep-interval-ms': { type: 'string' },
      'log-level': { type: 'string' },
      'disk-reserve': { type: 'string' },
      'keepalive-time-ms': { type: 'string' },
      'keepalive-timeout-ms': { type: 'string' },
      'skip-quick-check': { type: 'boolean' },
      'auth-file': { type: 'string' },
      'allow-unauthenticated': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      policy: { type: 'string' },
      'database-url': { type: 'string' },
      'notify-webhook': { type: 'string', multiple: true },
      'public-url': { type: 'string' },
    },
  });
  const listen = values.listen ?? env.ACTIONGATE_LISTEN ?? DEFAULT_CONFIG.listen;
  parseAddress('--listen', listen);
  const httpListen = values['http-listen'] ?? env.ACTIONGATE_HTTP_LISTEN ?? null;
  if (httpListen !== null) parseAddress('--http-listen', httpListen);
  const authFile = values['auth-file'] ?? env.ACTIONGATE_AUTH_FILE ?? DEFAULT_CONFIG.authFile;
  if (authFile !== null && authFile.trim() === '') throw new ConfigError('--auth-file must name a file');
  const allowUnauthenticated = values['allow-unauthenticated'] === true;
  const policyFile = values.policy ?? env.ACTIONGATE_POLICY ?? DEFAULT_CONFIG.policyFile;
  if (policyFile !== null && policyFile.trim() === '') throw new ConfigError('--policy must name a file');
  const tls = tlsConfig(values['tls-cert'], values['tls-key'], values['tls-client-ca']);
  // Before anything is opened: serving open beyond loopback is a usage mistake (exit 2).
  OpenModeRefusedError.check({ listen, authFile, allowUnauthenticated });
  const logLevel = parseLogLevel('--log-level', values['log-level'] ?? env.ACTIONGATE_LOG_LEVEL ?? DEFAULT_CONFIG.logLevel);
  return {
    catalogFile: values.catalog ?? env.ACTIONGATE_CATALOG ?? null,
    quickCheck: values['skip-quick-check'] !== true,
    databaseUrl: parseDatabaseUrl(values['database-url'] ?? env.ACTIONGATE_DATABASE_URL),
    config: {
      ...DEFAULT_CONFIG,
      listen,
      httpListen,
      dataDir: values['data-dir'] ?? env.ACTIONGATE_DATA_DIR ?? DEFAULT_CONFIG.dataDir,
      maxAttempts: positiveInt('--max-attempts', values['max-attempts'] ?? env.ACTIONGATE_MAX_ATTEMPTS, DEFAULT_CONFIG.maxAttempts),
      maxPayloadBytes: positiveInt('--max-payload-bytes', values['max-payload-bytes'], DEFAULT_CONFIG.maxPayloadBytes),
      sweepIntervalMs: positiveInt('--sweep-interval-ms', values['sweep-interval-ms'], DEFAULT_CONFIG.sweepIntervalMs, 10),
      diskReserveBytes: positiveInt('--disk-reserve', values['disk-reserve'] ?? env.ACTIONGATE_DISK_RESERVE, DEFAULT_CONFIG.diskReserveBytes, 0),
      keepaliveTimeMs: positiveInt('--keepalive-time-ms', values['keepalive-time-ms'], DEFAULT_CONFIG.keepaliveTimeMs, 0, MAX_KEEPALIVE_MS),
      keepaliveTimeoutMs: positiveInt('--keepalive-timeout-ms', values['keepalive-timeout-ms'], DEFAULT_CONFIG.keepaliveTimeoutMs, 1, MAX_KEEPALIVE_MS),
      logLevel,
      authFile,
      allowUnauthenticated,
      tls,
      policyFile,
      notifyWebhooks: notifyWebhooks(values['notify-webhook'], env.ACTIONGATE_NOTIFY_WEBHOOK),
      publicUrl: publicUrl(values['public-url'] ?? env.ACTIONGATE_PUBLIC_URL),
    },
  };
}
