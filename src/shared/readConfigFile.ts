import { readFileSync } from 'node:fs';
import { ConfigError } from './ConfigError.js';

/**
 * Reads a file the user named on the command line. One that cannot be read is a
 * ConfigError, "cannot read {named} {file}{hint}: ENOENT", a line a person can act
 * on rather than a stack trace.
 */
export function readConfigFile(file: string, named: string, hint = ''): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read ${named} ${file}${hint}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

/** `readConfigFile` as UTF-8 text. */
export function readConfigText(file: string, named: string): string {
  return readConfigFile(file, named).toString('utf8');
}
