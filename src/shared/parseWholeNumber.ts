import { ConfigError } from './ConfigError.js';

/** An option's text as a whole number from `min` to `max`; ConfigError naming the option otherwise. */
export function parseWholeNumber(option: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${option} must be a whole number ${range}, got "${raw}"`);
  }
  return value;
}
