import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutorConfigError } from '../ExecutorConfigError.js';
import { parseCommandRecord, type CommandRecord } from './CommandRecord.js';

const RECORD_FILE = /^command-(\d+)\.json$/;
const PARTIAL_FILE = /^command-\d+\.json\.tmp$/;

/** A file found in the state directory: its record, or null when it does not parse as one. */
export interface StateEntry {
  readonly file: string;
  readonly record: CommandRecord | null;
}

/**
 * The executor's state directory: one small JSON file per running command
 * (pid, start time, action), written when it starts and removed when it ends.
 * What is still there when an executor starts was left by an instance that
 * died; killLeftoverCommands deals with it. Only the executor's user may write
 * here: a planted record would name a process to kill.
 */
export class CommandStateDir {
  private constructor(readonly dir: string) {}

  /** Creates the directory (0700) if need be; refuses one that others may write to. */
  static open(dir: string): CommandStateDir {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new ExecutorConfigError(`cannot create --state-dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    const stat = statSync(dir);
    if (!stat.isDirectory()) throw new ExecutorConfigError(`--state-dir ${dir} is not a directory`);
    if ((stat.mode & 0o022) !== 0) {
      throw new ExecutorConfigError(`--state-dir ${dir} is writable by other users (mode ${(stat.mode & 0o777).toString(8)}); give the executor a directory of its own, or chmod 700 it`);
    }
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new ExecutorConfigError(`--state-dir ${dir} belongs to another user (uid ${stat.uid}); give the executor a directory of its own`);
    }
    return new CommandStateDir(dir);
  }

  /** Writes the record whole (a temporary file renamed into place), readable by the executor's user only. */
  record(record: CommandRecord): void {
    const path = this.pathOf(record.pid);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  remove(pid: number): void {
    this.removeFile(`command-${pid}.json`);
  }

  removeFile(file: string): void {
    rmSync(join(this.dir, file), { force: true });
  }

  /** The command records in the directory; half-written ones (a crash mid-write) are removed. */
  entries(): StateEntry[] {
    const entries: StateEntry[] = [];
    for (const file of readdirSync(this.dir)) {
      if (PARTIAL_FILE.test(file)) {
        this.removeFile(file);
        continue;
      }
      if (!RECORD_FILE.test(file)) continue;
      let text: string;
      try {
        text = readFileSync(join(this.dir, file), 'utf8');
      } catch {
        continue; // removed meanwhile
      }
      entries.push({ file, record: parseCommandRecord(text) });
    }
    return entries;
  }

  private pathOf(pid: number): string {
    return join(this.dir, `command-${pid}.json`);
  }
}
