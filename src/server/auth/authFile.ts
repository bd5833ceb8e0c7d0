import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { ROLES, type Role } from '../../domain/roles.js';
import { ConfigError } from '../../shared/ConfigError.js';

/** One principal as the auth file lists it. */
export interface PrincipalEntry {
  readonly name: string;
  readonly roles: readonly Role[];
  /** Hex SHA-256 of the bearer token, lower case; the token itself is never stored. */
  readonly tokenSha256: string | null;
  /** The subject CN of a client certificate that authenticates as this principal. */
  readonly certificateCn: string | null;
  /** The executor ids an executor may act as (default: its name). */
  readonly executorIds: readonly string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

const ENTRY = z.strictObject({
  name: z.string().regex(NAME, 'must be 1 to 128 letters, digits, ".", "_", "@" or "-", starting with a letter or digit'),
  roles: z.array(z.enum(ROLES as [Role, ...Role[]], { error: `must be one of ${ROLES.join(', ')}` })).min(1, 'needs at least one role'),
  token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the hex SHA-256 of the token (64 hex digits)').optional(),
  certificate_cn: z.string().min(1).max(256).optional(),
  executor_ids: z.array(z.string().min(1).max(256)).min(1).optional(),
});

const FILE = z.strictObject({ principals: z.array(z.unknown()) });

function entryLabel(raw: unknown, index: number): string {
  const name = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? ` (${(raw as { name: string }).name})` : '';
  return `principals[${index}]${name}`;
}

/**
 * An auth file's principals, checked: every mistake is a ConfigError naming
 * the entry (a file that does not parse, an unknown role, a repeated name,
 * token hash or certificate name, a principal with no credential at all).
 */
export function parseAuthFile(text: string, source: string): PrincipalEntry[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  const file = FILE.safeParse(document ?? { principals: [] });
  if (!file.success) throw new ConfigError(`${source} must be a mapping with a "principals" list and nothing else`);
  const entries: PrincipalEntry[] = [];
  const seen = { names: new Map<string, string>(), hashes: new Map<string, string>(), cns: new Map<string, string>() };
  file.data.principals.forEach((raw, index) => {
    const label = entryLabel(raw, index);
    const parsed = ENTRY.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `.${issue.path.join('.')}` : '';
      throw new ConfigError(`${source}: ${label}${where} ${issue.message}`);
    }
    const entry = parsed.data;
    if (entry.token_sha256 === undefined && entry.certificate_cn === undefined) {
      throw new ConfigError(`${source}: ${label} has neither token_sha256 nor certificate_cn, so nothing could authenticate as it`);
    }
    const tokenSha256 = entry.token_sha256?.toLowerCase() ?? null;
    const repeated = (kind: keyof typeof seen, key: string | null, what: string): void => {
      if (key === null) return;
      const earlier = seen[kind].get(key);
      if (earlier !== undefined) throw new ConfigError(`${source}: ${label} repeats the ${what} of ${earlier}`);
      seen[kind].set(key, label);
    };
    repeated('names', entry.name, 'name');
    repeated('hashes', tokenSha256, 'token_sha256');
    repeated('cns', entry.certificate_cn ?? null, 'certificate_cn');
    entries.push({
      name: entry.name,
      roles: [...new Set(entry.roles)],
      tokenSha256,
      certificateCn: entry.certificate_cn ?? null,
      executorIds: entry.executor_ids ?? [entry.name],
    });
  });
  return entries;
}

/** The file's text for these principals, as `parseAuthFile` reads it back. */
export function formatAuthFile(entries: readonly PrincipalEntry[]): string {
  const principals = entries.map((e) => ({
    name: e.name,
    roles: [...e.roles],
    ...(e.tokenSha256 === null ? {} : { token_sha256: e.tokenSha256 }),
    ...(e.certificateCn === null ? {} : { certificate_cn: e.certificateCn }),
    ...(e.executorIds.length === 1 && e.executorIds[0] === e.name ? {} : { executor_ids: [...e.executorIds] }),
  }));
  return stringify({ principals });
}
