import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, type ServerConfig } from '../server/ServerConfig.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ServeOptions {
  readonly config: ServerConfig;
  /** A JSON file of extra action types, read by the caller. */
  readonly catalogFile: string | null;
}

const LISTEN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
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
    },
  });
  const listen = values.listen ?? env.ACTIONGATE_LISTEN ?? DEFAULT_CONFIG.listen;
  const match = LISTEN.exec(listen);
  if (match === null || Number(match[2]) > 65535) throw new ConfigError(`--listen must be host:port, got "${listen}"`);
  const httpListen = values['http-listen'] ?? env.ACTIONGATE_HTTP_LISTEN ?? null;
  if (httpListen !== null) {
    const http = LISTEN.exec(httpListen);
    if (http === null || Number(http[2]) > 65535) throw new ConfigError(`--http-listen must be host:port, got "${httpListen}"`);
  }
  const logLevel = values['log-level'] ?? env.ACTIONGATE_LOG_LEVEL ?? DEFAULT_CONFIG.logLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  return {
    catalogFile: values.catalog ?? env.ACTIONGATE_CATALOG ?? null,
    config: {
      ...DEFAULT_CONFIG,
      listen,
      httpListen,
      dataDir: values['data-dir'] ?? env.ACTIONGATE_DATA_DIR ?? DEFAULT_CONFIG.dataDir,
      maxAttempts: positiveInt('--max-attempts', values['max-attempts'] ?? env.ACTIONGATE_MAX_ATTEMPTS, DEFAULT_CONFIG.maxAttempts),
      maxPayloadBytes: positiveInt('--max-payload-bytes', values['max-payload-bytes'], DEFAULT_CONFIG.maxPayloadBytes),
      sweepIntervalMs: positiveInt('--sweep-interval-ms', values['sweep-interval-ms'], DEFAULT_CONFIG.sweepIntervalMs, 10),
      logLevel,
    },
  };
}
