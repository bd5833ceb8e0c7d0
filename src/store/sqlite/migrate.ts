import type Database from 'better-sqlite3';
import { loadMigrations as loadMigrationsIn, type Migration } from '../loadMigrations.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export const loadMigrations = (): Migration[] => loadMigrationsIn(MIGRATIONS_DIR);

/** Applies, in order and each in its own transaction, the migrations this database has not seen. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = loadMigrations()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const applied = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as number[]);
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const newlyApplied: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      record.run(migration.id, migration.name, Date.now());
      db.exec(migration.sql);
    }).immediate();
    newlyApplied.push(migration.id);
  }
  return newlyApplied;
}
