import type { Pool } from 'pg';
import { loadMigrations as loadMigrationsIn, type Migration } from '../loadMigrations.js';
import { StartupError } from '../../shared/StartupError.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
/** Taken for the whole migration transaction: replicas starting together migrate one after another. */
export const MIGRATION_LOCK_KEY = 0x61637467; // "actg"

export const loadMigrations = (): Migration[] => loadMigrationsIn(MIGRATIONS_DIR);

/**
 * Applies the migrations this database has not seen, all in one transaction under an
 * advisory lock, each recorded before it runs. A database a newer actiongate migrated
 * is refused: this version does not know what its tables mean.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const applied = new Set((await client.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const known = Math.max(0, ...migrations.map((m) => m.id));
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new StartupError(
        `the database was migrated by a newer actiongate (schema version ${newest}; this version knows up to ${known}); run that version or newer`,
      );
    }
    const newlyApplied: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      await client.query(migration.sql);
      newlyApplied.push(migration.id);
    }
    await client.query('COMMIT');
    return newlyApplied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
