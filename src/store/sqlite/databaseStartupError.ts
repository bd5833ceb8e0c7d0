import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StartupError } from '../../shared/StartupError.js';

/** One line: SQLite's messages are short, but a quick_check finding can be long. */
function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/** The database file is damaged: what was found, and what to do. */
export function damagedDatabase(databaseFile: string, finding: string, cause?: unknown): StartupError {
  return new StartupError(
    `the database ${databaseFile} is damaged (${oneLine(finding)}): restore it from a backup; ` +
      `\`actiongate verify --data-dir ${dirname(databaseFile)}\` lists every problem`,
    { cause },
  );
}

/** What an error met while opening or checking the database means to an operator, in one line. */
export function databaseStartupError(err: unknown, databaseFile: string): StartupError {
  if (err instanceof StartupError) return err;
  const detail = oneLine(err instanceof Error ? err.message : String(err));
  const code = err instanceof Database.SqliteError ? err.code : '';
  const says = (message: string): StartupError => new StartupError(message, { cause: err });
  if (code === 'SQLITE_NOTADB') return says(`${databaseFile} is not a database (${detail}): move it away or choose another --data-dir`);
  if (code.startsWith('SQLITE_CORRUPT')) return damagedDatabase(databaseFile, detail, err);
  if (code === 'SQLITE_FULL') return says(`the disk holding ${databaseFile} is full: free some space and start again`);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return says(`cannot write ${databaseFile} (${detail}): check its permissions, or choose another --data-dir`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return says(`${databaseFile} is locked by another program (${detail}): stop it and start again`);
  }
  if (code.startsWith('SQLITE_IOERR')) return says(`cannot read or write ${databaseFile} (${detail}): check the disk, and restore from a backup if it is damaged`);
  return says(`cannot open the database ${databaseFile}: ${detail}`);
}
