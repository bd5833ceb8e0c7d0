import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { ActionCatalog } from '../domain/catalog.js';
import { startServer } from '../server/startServer.js';
import { SqliteActionStore } from '../store/sqlite/SqliteActionStore.js';
import { loadServeConfig } from './loadConfig.js';
import { parseCatalog } from './parseCatalog.js';

/** EX_IOERR from sysexits.h. */
const EXIT_DURABILITY_LOST = 74;

/** `actiongate serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { config: base, catalogFile } = loadServeConfig(argv, env);
  const actionTypes = catalogFile === null ? [] : parseCatalog(readFileSync(catalogFile, 'utf8'), catalogFile);
  // Fail on a bad catalog before opening anything.
  new ActionCatalog(actionTypes);
  const config = { ...base, actionTypes };
  const log = pino({ level: config.logLevel, base: { service: 'actiongate' } });
  const store = SqliteActionStore.open(config.dataDir, {
    onListenerError: (err) => log.error({ err }, 'event listener failed'),
    // Crash-only: a restart recovers the WAL and syncs it before serving again.
    onDurabilityLost: (err) => {
      log.fatal({ err }, 'the database could not be synced to disk; exiting');
      process.exit(EXIT_DURABILITY_LOST);
    },
  });
  const server = await startServer(config, store, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'signal received');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      server.shutdown().then(resolve, (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
