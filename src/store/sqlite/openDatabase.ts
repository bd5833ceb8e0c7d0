import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.js';

export const DATABASE_FILE = 'actiongate.db';
/** SQLite's write-ahead log beside the database file. */
export const WAL_FILE = `${DATABASE_FILE}-wal`;

/** Opens (creating if needed) the data directory's database, durable on every commit, and migrates it. */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL: COMMIT writes the WAL but does not fsync it. FULL would fsync inside
    // COMMIT, on the event loop, stalling every other call for the length of the
    // sync; WalSync makes the same fsync on the thread pool instead, and
    // GroupCommitter answers no call before it has completed. Checkpoints still
    // sync the WAL before they copy it and the database after.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw new Error(`cannot open the database in ${dataDir}`, { cause: err });
  }
}
