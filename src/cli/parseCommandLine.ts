import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../shared/ConfigError.js';


/**
 * node:util parseArgs (give it strict: true) with its errors as usage errors in the flag's own
 * words ("unknown flag --colour") rather than its advice about positionals.
 */
export function parseCommandLine<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(--?[A-Za-z0-9-]+)/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) throw new ConfigError(`${command} has no flag ${flag}`, { cause: err });
    const argument = /^Unexpected argument '([^']*)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new ConfigError(`${command} takes no arguments besides its flags, got "${argument ?? '?'}"`, { cause: err });
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
      const noValue = message.includes('does not take an argument');
      throw new ConfigError(noValue ? `${flag} takes no value` : `${flag} needs a value`, { cause: err });
    }
    throw new ConfigError(`${command}: ${message.split('. ')[0]}`, { cause: err });
  }
}
