import { ConfigError } from '../shared/ConfigError.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';

/** Every call's deadline unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** A day: longer is surely a typo. */
const MAX_TIMEOUT_MS = 86_400_000;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** `--timeout` as milliseconds: `10` or `10s` (seconds), `500ms`, `2m`. */
export function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_MS;
  const match = /^\s*(\d+)\s*(ms|s|m)?\s*$/.exec(raw);
  if (match === null) throw new ConfigError(`--timeout must be a duration such as 10s, 500ms or 2m, got "${raw}"`);
  const ms = parseWholeNumber('--timeout', match[1]!, 1) * UNITS[match[2] ?? 's']!;
  if (ms > MAX_TIMEOUT_MS) throw new ConfigError(`--timeout must be at most a day (24h), got "${raw}"`);
  return ms;
}
