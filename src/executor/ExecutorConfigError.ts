import { ConfigError } from '../shared/ConfigError.js';

/** The executor's arguments, environment or handlers file are wrong; the message says which and how. */
export class ExecutorConfigError extends ConfigError {
  override name = 'ExecutorConfigError';
}
