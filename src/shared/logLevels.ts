import { ConfigError } from './ConfigError.js';

/** pino's levels, most severe first, and 'silent'. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(option: string, raw: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new ConfigError(`${option} must be one of ${LOG_LEVELS.join(', ')}; got "${raw}"`);
  return raw as LogLevel;
}
