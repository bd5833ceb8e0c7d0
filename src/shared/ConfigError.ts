/** A command's arguments, environment or files are wrong; the message says which and how to fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
