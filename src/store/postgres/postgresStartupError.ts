import { StartupError } from '../../shared/StartupError.js';
import { redactedUrl } from './connectionConfig.js';
import { isConnectionFailure, PG, pgCode } from './pgErrors.js';

/** Why the store could not open, in one line that says what to do; the cause is kept. */
export function postgresStartupError(databaseUrl: string, err: unknown): StartupError {
  if (err instanceof StartupError) return err;
  const where = redactedUrl(databaseUrl);
  const detail = err instanceof Error ? err.message : String(err);
  const code = pgCode(err);
  if (code === PG.INVALID_CATALOG_NAME) return new StartupError(`the database in ${where} does not exist: create it (createdb), or fix --database-url`, { cause: err });
  if (code === PG.INVALID_PASSWORD || code === PG.INVALID_AUTHORIZATION) {
    return new StartupError(`PostgreSQL refused the credentials in ${where} (${detail}); fix --database-url`, { cause: err });
  }
  if (isConnectionFailure(err)) return new StartupError(`cannot reach PostgreSQL at ${where} (${detail}); start it, or fix --database-url`, { cause: err });
  return new StartupError(`cannot open the PostgreSQL database at ${where}: ${detail}`, { cause: err });
}
