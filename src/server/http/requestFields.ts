import { ValidationError } from '../../domain/errors.js';
import { ActionStatus } from '../../gen/actiongate/v1/action.js';

/** A JSON body's fields, each under its proto name or its lowerCamelCase JSON name, as gRPC's JSON mapping reads them. */
export type Body = Readonly<Record<string, unknown>>;

const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The request body as an object with only `fields` in it (no body reads as `{}`).
 * An unknown field is refused: a mistyped `terminate_running` must not pass as false.
 */
export function bodyOf(body: unknown, fields: readonly string[]): Body {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body', 'must be a JSON object');
  const known = new Set(fields.flatMap((f) => [f, camel(f)]));
  for (const key of Object.keys(body)) {
    if (!known.has(key)) throw new ValidationError(key, `is not a field of this request; send ${fields.join(', ') || 'no body'}`);
  }
  // Both spellings at once could say two things ("terminate_running": false, "terminateRunning": true); neither may win silently.
  for (const field of fields) {
    if (camel(field) !== field && Object.hasOwn(body, field) && Object.hasOwn(body, camel(field))) {
      throw new ValidationError(field, `give it once, as ${field} or as ${camel(field)}`);
    }
  }
  return body as Body;
}

function valueOf(body: Body, field: string): unknown {
  return body[field] ?? body[camel(field)];
}

export function textOf(body: Body, field: string): string {
  const value = valueOf(body, field);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ValidationError(field, `must be a string, got ${typeof value}`);
  return value;
}

export function flagOf(body: Body, field: string): boolean {
  const value = valueOf(body, field);
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ValidationError(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Query parameters, each a list of its values in order. */
export type Query = ReadonlyMap<string, readonly string[]>;

export function queryOf(query: unknown, fields: readonly string[]): Query {
  const params = new Map<string, string[]>();
  for (const [key, raw] of Object.entries((query ?? {}) as Record<string, string | string[]>)) {
    if (!fields.includes(key)) throw new ValidationError(key, `is not a query parameter here; use ${fields.join(', ')}`);
    params.set(key, Array.isArray(raw) ? raw : [raw]);
  }
  return params;
}

/** A parameter given at most once; '' when absent. */
export function oneOf(query: Query, field: string): string {
  const values = query.get(field) ?? [];
  if (values.length > 1) throw new ValidationError(field, `give it once, got ${values.length} values`);
  return values[0] ?? '';
}

/**
 * A parameter that must be a whole number written in digits ('' when absent is 0):
 * Number() would also take "1e2", "0x10" and " 5 ", which no client means.
 */
export function wholeNumberOf(query: Query, field: string): number {
  const text = oneOf(query, field);
  if (text === '') return 0;
  return digitsOf(field, text);
}

/** Text that must be a whole number in digits, as a number; a ValidationError naming `field` otherwise. */
export function digitsOf(field: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new ValidationError(field, `must be a whole number in digits, got "${text.slice(0, 32)}"`);
  }
  return value;
}

const STATUS_NAMES = Object.keys(ActionStatus).filter((name) => name.startsWith('ACTION_STATUS_') && name !== 'ACTION_STATUS_UNSPECIFIED');

/**
 * `status` as the contract's enum numbers: repeated or comma-separated, each as
 * `pending`, `PENDING` or `ACTION_STATUS_PENDING`.
 */
export function statusesOf(query: Query): number[] {
  const names = (query.get('status') ?? []).flatMap((value) => value.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  return names.map((name) => {
    const upper = name.toUpperCase();
    const full = upper.startsWith('ACTION_STATUS_') ? upper : `ACTION_STATUS_${upper}`;
    if (!STATUS_NAMES.includes(full)) {
      const choices = STATUS_NAMES.map((s) => s.slice('ACTION_STATUS_'.length).toLowerCase()).join(', ');
      throw new ValidationError('status', `"${name.slice(0, 64)}" is not an action status; use ${choices}`);
    }
    return ActionStatus[full as keyof typeof ActionStatus];
  });
}
