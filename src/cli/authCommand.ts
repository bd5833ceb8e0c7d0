import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../domain/roles.js';
import { formatAuthFile, parseAuthFile, type PrincipalEntry } from '../server/auth/authFile.js';
import { sha256Hex } from '../server/auth/Authenticator.js';
import { ConfigError } from '../shared/ConfigError.js';
import { readConfigText } from '../shared/readConfigFile.js';

/** 256 bits of randomness, URL-safe. */
const TOKEN_BYTES = 32;

function readEntries(file: string): PrincipalEntry[] {
  return existsSync(file) ? parseAuthFile(readConfigText(file, '--auth-file'), file) : [];
}

/** Replaces the file in one step, readable by its owner only: a reader never sees half a file. */
function writeEntries(file: string, entries: readonly PrincipalEntry[]): void {
  const next = `${file}.${process.pid}.tmp`;
  writeFileSync(next, formatAuthFile(entries), { mode: 0o600 });
  chmodSync(next, 0o600);
  renameSync(next, file);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * `actiongate auth add|remove|list NAME --auth-file FILE`. `add` prints the new
 * token once, on stdout, and nothing else: only its hash is kept.
 */
export function authCommand(argv: readonly string[], env: NodeJS.ProcessEnv, out: (text: string) => void): number {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'auth-file': { type: 'string' },
      roles: { type: 'string' },
      'executor-ids': { type: 'string' },
      'certificate-cn': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [verb, name, ...extra] = positionals;
  const file = values['auth-file'] ?? env.ACTIONGATE_AUTH_FILE;
  if (file === undefined || file === '') throw new ConfigError('auth: --auth-file FILE is required (or ACTIONGATE_AUTH_FILE)');
  if (extra.length > 0) throw new ConfigError(`auth ${verb}: unexpected arguments ${extra.join(' ')}`);
  const json = values.json === true;
  switch (verb) {
    case 'list': {
      const entries = readEntries(file);
      if (json) {
        // Never a hash: what a script needs to know who may do what.
        const shown = entries.map((e) => ({ name: e.name, roles: e.roles, executorIds: e.roles.includes('executor') ? e.executorIds : [], certificateCn: e.certificateCn }));
        out(`${JSON.stringify(shown)}\n`);
        return 0;
      }
      for (const entry of entries) {
        const executors = entry.roles.includes('executor') ? ` executor_ids=${entry.executorIds.join(',')}` : '';
        out(`${entry.name}\t${entry.roles.join(',')}${executors}\n`);
      }
      return 0;
    }
    case 'add': {
      if (name === undefined) throw new ConfigError('auth add NAME --roles ROLE[,ROLE] --auth-file FILE');
      const roles = list(values.roles);
      if (roles.length === 0) throw new ConfigError(`auth add: --roles is required, some of ${ROLES.join(', ')}`);
      const unknown = roles.find((r) => !(ROLES as readonly string[]).includes(r));
      if (unknown !== undefined) throw new ConfigError(`auth add: unknown role "${unknown}"; roles are ${ROLES.join(', ')}`);
      const entries = readEntries(file);
      if (entries.some((e) => e.name === name)) throw new ConfigError(`auth add: ${file} already has a principal named ${name}; remove it first`);
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      const executorIds = list(values['executor-ids']);
      const entry: PrincipalEntry = {
        name,
        roles: roles as Role[],
        tokenSha256: sha256Hex(token),
        certificateCn: values['certificate-cn'] ?? null,
        executorIds: executorIds.length > 0 ? executorIds : [name],
      };
      // Checked as the server will check it before anything is written.
      parseAuthFile(formatAuthFile([...entries, entry]), file);
      writeEntries(file, [...entries, entry]);
      out(json ? `${JSON.stringify({ name, token })}\n` : `${token}\n`);
      return 0;
    }
    case 'remove': {
      if (name === undefined) throw new ConfigError('auth remove NAME --auth-file FILE');
      const entries = readEntries(file);
      if (!entries.some((e) => e.name === name)) throw new ConfigError(`auth remove: ${file} has no principal named ${name}`);
      writeEntries(file, entries.filter((e) => e.name !== name));
      if (json) out(`${JSON.stringify({ removed: name })}\n`);
      return 0;
    }
    default:
      throw new ConfigError('auth: use `auth add NAME --roles R[,R] [--executor-ids A,B] --auth-file FILE`, `auth remove NAME --auth-file FILE` or `auth list --auth-file FILE`');
  }
}
