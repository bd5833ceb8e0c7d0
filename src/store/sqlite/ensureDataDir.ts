import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { StartupError } from '../../shared/StartupError.js';

/** What a file-system error code means for a directory, in words. */
const REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'part of its path is a file, not a directory',
  EEXIST: 'it is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined ? REASONS[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
}

/** Creates the data directory if it is missing; a StartupError if it cannot be created or written in. */
export function ensureDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StartupError(`cannot create the data directory ${resolve(dataDir)}: ${reason(err)}; choose another --data-dir`, { cause: err });
  }
  try {
    accessSync(dataDir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new StartupError(`the data directory ${resolve(dataDir)} is not writable: ${reason(err)}; fix its permissions or choose another --data-dir`, {
      cause: err,
    });
  }
}
