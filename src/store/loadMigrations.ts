import { readdirSync, readFileSync } from 'node:fs';

const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** One forward-only schema step: NNN_name.sql, applied in number order. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations shipped in `dir` (a store's migrations folder), in order. */
export function loadMigrations(dir: URL): Migration[] {
  return readdirSync(dir)
    .filter((name) => MIGRATION_FILE.test(name))
    .sort()
    .map((name) => ({ id: Number(name.slice(0, 3)), name, sql: readFileSync(new URL(name, dir), 'utf8') }));
}
