import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StartupError } from '../../shared/StartupError.js';
import { ensureDataDir } from './ensureDataDir.js';

/** The lock: a small SQLite database of its own, never the actions' database. */
export const LOCK_FILE = 'actiongate.lock';
/** The holder's pid, so that a refused second server can say who holds the directory. */
export const PID_FILE = 'actiongate.pid';

function holderPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * One server per data directory: two servers over one database would each fan
 * out only their own control signals, so an executor subscribed to one would
 * never hear a terminate issued through the other.
 *
 * The lock is SQLite's own, an exclusive transaction on actiongate.lock in
 * exclusive locking mode, held until `release`. SQLite takes it with fcntl, so
 * the kernel drops it when the process dies however it dies, kill -9 included:
 * a crashed server never leaves a stale lock behind, which a pid file alone
 * would, and no liveness guess (a reused pid) is needed. SQLite also counts
 * its locks per connection, so a second open in the same process is refused
 * as well. The pid file beside it is only for the refusal message, and the
 * lock file is never opened any other way: closing any descriptor of it would
 * drop this process's fcntl locks on it.
 */
export class DataDirLock {
  private released = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly pidFile: string,
  ) {}

  /** Creates the data directory if needed and locks it; a StartupError if it cannot, naming the holder's pid when known. */
  static acquire(dataDir: string): DataDirLock {
    ensureDataDir(dataDir);
    const lockFile = join(dataDir, LOCK_FILE);
    const pidFile = join(dataDir, PID_FILE);
    const cannotLock = (err: unknown): StartupError =>
      new StartupError(`cannot lock the data directory ${resolve(dataDir)} (${lockFile}: ${(err as Error).message}); check that it is writable`, { cause: err });
    let db: Database.Database;
    try {
      db = new Database(lockFile, { timeout: 0 });
    } catch (err) {
      throw cannotLock(err);
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
    } catch (err) {
      db.close();
      if (err instanceof Database.SqliteError && err.code === 'SQLITE_BUSY') {
        const pid = holderPid(pidFile);
        const holder = pid === null ? 'another process' : `another process (pid ${pid})`;
        throw new StartupError(
          `the data directory ${resolve(dataDir)} is in use by ${holder}: one server per data directory; stop that one or choose another --data-dir`,
          { cause: err },
        );
      }
      throw cannotLock(err);
    }
    return new DataDirLock(db, pidFile);
  }

  /** Lets the next server in. */
  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(this.pidFile, { force: true });
    this.db.close();
  }
}
