import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkSchema } from './checkSchema.js';
import { damagedDatabase, databaseStartupError } from './databaseStartupError.js';
import { ensureDataDir } from './ensureDataDir.js';
import { loadMigrations, migrate } from './migrate.js';

export const DATABASE_FILE = 'actiongate.db';
/** SQLite's write-ahead log beside the database file. */
export const WAL_FILE = `${DATABASE_FILE}-wal`;

export interface OpenDatabaseOptions {
  /**
   * Run `PRAGMA quick_check` before serving (default true), so a damaged page is
   * found at start rather than when a call first reads it. It reads the whole
   * file: a very large database may want to skip it.
   */
  readonly quickCheck?: boolean;
}

/**
 * Opens (creating if needed) the data directory's database, durable on every
 * commit, and migrates it. Anything that stops it is a StartupError saying in
 * one line what is wrong: not a database, another program's database, one from
 * a newer actiongate, damaged, or not writable. Those are found before anything
 * is written to the file.
 */
export function openDatabase(dataDir: string, { quickCheck = true }: OpenDatabaseOptions = {}): Database.Database {
  ensureDataDir(dataDir);
  const file = join(dataDir, DATABASE_FILE);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw databaseStartupError(err, file);
  }
  try {
    db.pragma('busy_timeout = 5000');
    const migrations = loadMigrations();
    checkSchema(db, file, migrations);
    if (quickCheck) runQuickCheck(db, file);
    db.pragma('journal_mode = WAL');
    // NORMAL: COMMIT writes the WAL but does not fsync it. FULL would fsync inside
    // COMMIT, on the event loop, stalling every other call for the length of the
    // sync; WalSync makes the same fsync on the thread pool instead, and
    // GroupCommitter answers no call before it has completed. Checkpoints still
    // sync the WAL before they copy it and the database after.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw databaseStartupError(err, file);
  }
}

/** Reads every page once: a StartupError if any is damaged (some damage stops quick_check itself). */
function runQuickCheck(db: Database.Database, file: string): void {
  let findings: string[];
  try {
    findings = db.prepare('PRAGMA quick_check').pluck().all() as string[];
  } catch (err) {
    if (!(err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CORRUPT'))) throw err;
    throw damagedDatabase(file, `quick_check: ${err.message}`, err);
  }
  if (findings.length === 1 && findings[0] === 'ok') return;
  const more = findings.length > 1 ? ` and ${findings.length - 1} more` : '';
  throw damagedDatabase(file, `quick_check: ${findings[0] ?? 'no answer'}${more}`);
}
