import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DEFAULT_CONFIG } from '../server/ServerConfig.js';
import type { ChainCheck } from '../store/ActionStore.js';
import { redactedUrl } from '../store/postgres/connectionConfig.js';
import { verifyPostgresChain } from '../store/postgres/verifyPostgresChain.js';
import { parseDatabaseUrl } from './loadConfig.js';
import { ConfigError } from '../shared/ConfigError.js';
import { checkSchema } from '../store/sqlite/checkSchema.js';
import { databaseStartupError } from '../store/sqlite/databaseStartupError.js';
import { DATABASE_FILE } from '../store/sqlite/openDatabase.js';
import { verifyChain } from '../store/sqlite/historyChain.js';
import { loadMigrations } from '../store/sqlite/migrate.js';

/**
 * `actiongate verify --data-dir DIR`: SQLite's full integrity_check over the
 * database, then the history's hash chain, read-only (a running server may keep serving). Prints what it
 * finds and resolves with 0 when the file is whole, 1 when it is not.
 */
export function verify(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, out: NodeJS.WritableStream = process.stdout): number | Promise<number> {
  const { values } = parseArgs({
    args: [...argv], strict: true, allowPositionals: false, options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' } },
  });
  const databaseUrl = parseDatabaseUrl(values['database-url'] ?? env.ACTIONGATE_DATABASE_URL);
  if (databaseUrl !== null) return verifyPostgres(databaseUrl, out);
  const dataDir = values['data-dir'] ?? env.ACTIONGATE_DATA_DIR ?? DEFAULT_CONFIG.dataDir;
  const file = resolve(join(dataDir, DATABASE_FILE));
  if (!existsSync(file)) throw new ConfigError(`there is no actiongate database at ${file}; check --data-dir`);
  let findings: string[];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    checkSchema(db, file, loadMigrations());
    findings = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
  } catch (err) {
    const refused = databaseStartupError(err, file);
    // A damaged file can stop integrity_check itself: that is a finding too.
    if (!(err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CORRUPT'))) throw refused;
    findings = [err.message];
  } finally {
    db?.close();
  }
  if (findings.length === 1 && findings[0] === 'ok') {
    out.write(`${file}: ok (integrity_check found no problem)\n`);
    return verifyHistoryChain(file, out);
  }
  for (const finding of findings) out.write(`${file}: ${finding.replace(/\s+/g, ' ')}\n`);
  out.write(`${file}: damaged (${findings.length} problem${findings.length === 1 ? '' : 's'}); restore it from a backup\n`);
  return 1;
}

/** `verify --database-url`: the shared history's hash chain, read in one snapshot while replicas keep serving. */
async function verifyPostgres(databaseUrl: string, out: NodeJS.WritableStream): Promise<number> {
  const where = redactedUrl(databaseUrl);
  const check = await verifyPostgresChain(databaseUrl);
  return reportChain(where, check, out);
}

function reportChain(where: string, check: ChainCheck, out: NodeJS.WritableStream): number {
  if (check.ok) {
    out.write(`${where}: ok (the history's hash chain holds over ${check.eventsChecked} events)\n`);
    return 0;
  }
  const action = check.firstBadActionId === '' ? '' : ` (action ${check.firstBadActionId})`;
  out.write(`${where}: history event ${check.firstBadSequence}${action} does not match: ${check.problem}\n`);
  return 1;
}

/** The history's hash chain, checked offline: exit 0 when it holds, 1 naming the first event that does not. */
function verifyHistoryChain(file: string, out: NodeJS.WritableStream): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!hasHashChain(db)) {
      out.write(`${file}: its history predates the hash chain and cannot be checked yet; the next actiongate serve on it chains it\n`);
      return 0;
    }
    return reportChain(file, verifyChain(db), out);
  } finally {
    db.close();
  }
}

/** Whether the database has been opened by a version that chains its history (migration 004 adds the columns). */
function hasHashChain(db: Database.Database): boolean {
  return (db.prepare("SELECT COUNT(*) FROM pragma_table_info('action_events') WHERE name = 'hash'").pluck().get() as number) === 1;
}
