import { ExecutorConfigError } from './ExecutorConfigError.js';

/**
 * The action types to claim: those asked for, each of which needs a handler,
 * or by default every type with a handler, so Execute never hands this
 * executor an action it cannot run.
 */
export function resolveActionTypes(requested: readonly string[] | null, handled: Iterable<string>): string[] {
  const available = [...handled].sort();
  if (requested === null) return available;
  const missing = requested.filter((type) => !available.includes(type));
  if (missing.length > 0) {
    throw new ExecutorConfigError(
      `--action-types: no handler for ${missing.join(', ')}; add ${missing.length === 1 ? 'it' : 'them'} to the --handlers file, or choose from ${available.join(', ')}`,
    );
  }
  return [...requested];
}
