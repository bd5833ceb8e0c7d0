import type { JsonValue } from './action.js';
import { ValidationError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function requireUuid(field: string, value: string): string {
  if (value === '') throw new ValidationError(field, 'is required');
  if (!isUuid(value)) throw new ValidationError(field, `must be a UUID, got "${truncate(value)}"`);
  return value.toLowerCase();
}

/** A required short text: trimmed, non-empty, at most `max` characters. */
export function requireText(field: string, value: string, max = 256): string {
  const text = value.trim();
  if (text === '') throw new ValidationError(field, 'is required');
  return limitText(field, text, max);
}

export function limitText(field: string, value: string, max = 256): string {
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters, got ${value.length}`);
  return value;
}

export function requireIntInRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Rejects NaN and infinities anywhere in a JSON document (JSON would silently turn them into null). */
export function requireFiniteNumbers(field: string, value: JsonValue | undefined): void {
  const found = nonFinite(value);
  if (found !== null) throw new ValidationError(`${field}${found.path}`, `must hold finite numbers, got ${found.value}`);
}

/** The first non-finite number and where it is; the path is only built for that one (this runs on every Propose). */
function nonFinite(value: JsonValue | undefined): { path: string; value: number } | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path: '', value };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = nonFinite(value[index]);
      if (found !== null) return { path: `[${index}]${found.path}`, value: found.value };
    }
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const found = nonFinite(value[key]);
      if (found !== null) return { path: `.${key}${found.path}`, value: found.value };
    }
  }
  return null;
}

/** The document's size as stored (UTF-8 JSON), refused above `maxBytes`. */
export function requireJsonWithin(field: string, value: JsonValue, maxBytes: number): string {
  requireFiniteNumbers(field, value);
  const json = JSON.stringify(value);
  const size = Buffer.byteLength(json, 'utf8');
  if (size > maxBytes) throw new ValidationError(field, `is ${size} bytes as JSON; the limit is ${maxBytes}`);
  return json;
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
