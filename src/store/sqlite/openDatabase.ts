import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.js';

export const DATABASE_FILE = 'actiongate.db';

/** Opens (creating if needed) the data directory's database, durable on every commit, and migrates it. */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk (WAL fsynced) before the call that made it answers.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw new Error(`cannot open the database in ${dataDir}`, { cause: err });
  }
}
