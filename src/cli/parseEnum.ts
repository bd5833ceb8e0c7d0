import { ConfigError } from '../shared/ConfigError.js';

/** A generated (ts-proto) numeric enum: names to numbers, and numbers back to names. */
type ProtoEnum = Record<string, string | number>;

/** The enum's meaningful values by their short lower-case names (`pending`), without UNSPECIFIED or UNRECOGNIZED. */
function shortNames(values: ProtoEnum, prefix: string): Map<string, number> {
  const names = new Map<string, number>();
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'number' && value > 0 && name.startsWith(prefix)) names.set(name.slice(prefix.length).toLowerCase(), value);
  }
  return names;
}

/**
 * One enum value as a person types it: `pending`, `PENDING` or `ACTION_STATUS_PENDING`
 * all name ACTION_STATUS_PENDING. `prefix` is the generated names' prefix
 * (`ACTION_STATUS_`). Anything else is a usage error naming the accepted values.
 */
export function parseEnum(flag: string, raw: string, values: ProtoEnum, prefix: string): number {
  const names = shortNames(values, prefix);
  let name = raw.trim().toUpperCase();
  if (name.startsWith(prefix)) name = name.slice(prefix.length);
  const value = names.get(name.toLowerCase());
  if (value === undefined) {
    throw new ConfigError(`${flag} "${raw}" is not one of ${[...names.keys()].join(', ')} (any case, with or without ${prefix})`);
  }
  return value;
}

/** Repeated flags, each possibly a comma-separated list (`--status pending,running --status failed`), without duplicates. */
export function parseEnumList(flag: string, raws: readonly string[] | undefined, values: ProtoEnum, prefix: string): number[] {
  const parts = (raws ?? []).flatMap((raw) => raw.split(',')).filter((part) => part.trim() !== '');
  return [...new Set(parts.map((part) => parseEnum(flag, part, values, prefix)))];
}

/** The short names of an enum's values, lower case (`safe`, `guarded`, ...), for help and messages. */
export function enumNames(values: ProtoEnum, prefix: string): string[] {
  return [...shortNames(values, prefix).keys()];
}
