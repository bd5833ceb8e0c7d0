import Database from 'better-sqlite3';
import { StartupError } from '../../shared/StartupError.js';
import type { Migration } from '../loadMigrations.js';

interface MigrationRow {
  readonly id: number;
  readonly name: string;
}

function notOurs(databaseFile: string, why: string, cause?: unknown): StartupError {
  return new StartupError(
    `${databaseFile} is a SQLite database but not an actiongate one (${why}); it was left untouched: move it away or choose another --data-dir`,
    { cause },
  );
}

/**
 * Refuses, before anything is written, a database this build must not migrate:
 * another program's (tables, but not our schema_migrations or not our
 * migrations in it), or one written by a newer actiongate (a migration id
 * above the newest this build knows). An empty database is a new one.
 */
export function checkSchema(db: Database.Database, databaseFile: string, migrations: readonly Migration[]): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  if (tables.length === 0) return;
  if (!tables.includes('schema_migrations')) {
    const shown = tables.slice(0, 3).join(', ') + (tables.length > 3 ? ', ...' : '');
    throw notOurs(databaseFile, `it has tables (${shown}) but no schema_migrations`);
  }
  let rows: MigrationRow[];
  try {
    rows = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all() as MigrationRow[];
  } catch (err) {
    // SQLITE_ERROR: no such column. Anything else (a damaged page) is not about whose file it is.
    if (!(err instanceof Database.SqliteError && err.code === 'SQLITE_ERROR')) throw err;
    throw notOurs(databaseFile, "its schema_migrations table is not actiongate's", err);
  }
  // A first start that stopped between creating schema_migrations and committing the first migration.
  if (rows.length === 0 && tables.length === 1) return;
  const known = new Map(migrations.map((m) => [m.id, m.name]));
  const newest = Math.max(0, ...known.keys());
  const mismatch = rows.find((row) => row.id <= newest && known.get(row.id) !== row.name);
  if (mismatch !== undefined) {
    throw notOurs(databaseFile, `its schema_migrations has ${JSON.stringify(mismatch.name)} as migration ${mismatch.id}, which is not actiongate's`);
  }
  const first = migrations[0];
  if (first !== undefined && !rows.some((row) => row.id === first.id)) {
    throw notOurs(databaseFile, `its schema_migrations lacks actiongate's first migration, ${first.name}`);
  }
  const needed = rows.at(-1)?.id ?? 0;
  if (needed > newest) {
    throw new StartupError(
      `${databaseFile} was written by a newer actiongate: it needs schema version ${needed} and this build knows up to ${newest}; ` +
        'run that newer actiongate, or restore a backup made by this version',
    );
  }
}
