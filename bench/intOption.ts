import { parseWholeNumber } from '../src/shared/parseWholeNumber.js';

/** Reads whole-number options from parseArgs values, refusing anything outside min..max. */
export function intReader<K extends string>(values: Partial<Record<K, unknown>>) {
  return (name: K, min: number, max: number): number => parseWholeNumber(`--${name}`, String(values[name] ?? ''), min, max);
}
