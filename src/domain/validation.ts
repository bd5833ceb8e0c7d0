import type { JsonValue } from './action.js';
import { ValidationError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Half of a UTF-16 surrogate pair without its other half: no character at all. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How deeply a payload or result may nest objects and arrays (the document itself is level 1). */
export const MAX_JSON_DEPTH = 32;
/** The most values a repeated filter field (statuses, action types, nodes) may hold. */
export const MAX_LIST_VALUES = 100;

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

/**
 * Text stored as it came, at most `max` characters. A lone surrogate is refused
 * rather than rewritten: two keys that differ only there would otherwise become one.
 */
export function limitText(field: string, value: string, max = 256): string {
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters, got ${value.length}`);
  const at = value.search(LONE_SURROGATE);
  if (at !== -1) throw new ValidationError(field, `holds an unpaired UTF-16 surrogate at index ${at}; send well-formed Unicode text`);
  return value;
}

/**
 * An identifying string (an idempotency key, a node, an executor id) as it was meant. A
 * U+FFFD in one is the mark of text that was not well-formed when it was encoded (a lone
 * surrogate, or bytes that are not UTF-8, replaced on the way): two different keys may
 * have become the same one, so it is refused rather than matched.
 */
export function requireIntactIdentifier(field: string, value: string): string {
  const at = value.indexOf('\uFFFD');
  if (at !== -1) {
    throw new ValidationError(field, `holds U+FFFD at index ${at}, the mark of text that was not well-formed Unicode when it was encoded; send the identifier as valid UTF-8`);
  }
  return value;
}

/** A repeated field of at most MAX_LIST_VALUES entries. */
export function requireListWithin<T>(field: string, values: readonly T[]): readonly T[] {
  if (values.length > MAX_LIST_VALUES) throw new ValidationError(field, `at most ${MAX_LIST_VALUES} values, got ${values.length}`);
  return values;
}

export function requireIntInRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Rejects NaN and infinities anywhere in a JSON document (JSON would silently
 * turn them into null), and nesting deeper than MAX_JSON_DEPTH.
 */
export function requireFiniteNumbers(field: string, value: JsonValue | undefined): void {
  const found = firstProblem(value, 1);
  if (found === null) return;
  if (found.problem === 'depth') throw new ValidationError(field, `nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  throw new ValidationError(`${field}${found.path}`, `must hold finite numbers, got ${found.value}`);
}

type Problem = { problem: 'number'; path: string; value: number } | { problem: 'depth'; path: string };

/** The first problem and where it is; the path is only built for that one (this runs on every Propose). */
function firstProblem(value: JsonValue | undefined, depth: number): Problem | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : { problem: 'number', path: '', value };
  if (value === null || typeof value !== 'object') return null;
  if (depth > MAX_JSON_DEPTH) return { problem: 'depth', path: '' };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = firstProblem(value[index], depth + 1);
      if (found !== null) return { ...found, path: `[${index}]${found.path}` };
    }
  } else {
    for (const key of Object.keys(value)) {
      const found = firstProblem(value[key], depth + 1);
      if (found !== null) return { ...found, path: `.${key}${found.path}` };
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
