/**
 * The process cannot start: the message says in one line what is wrong and what to do
 * about it, and the cause (kept for `--log-level debug`) says how it was found.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
