import { pino, type Logger } from 'pino';
import { ActionCatalog } from '../domain/catalog.js';
import { startServer } from '../server/startServer.js';
import type { DiskEvent } from '../store/sqlite/DiskSpaceGuard.js';
import { redactedUrl } from '../store/postgres/connectionConfig.js';
import { PostgresActionStore } from '../store/postgres/PostgresActionStore.js';
import { SqliteActionStore } from '../store/sqlite/SqliteActionStore.js';
import { loadServeConfig } from './loadConfig.js';
import { parseCatalog } from './parseCatalog.js';
import { routeGrpcLogs } from './routeGrpcLogs.js';
import { readConfigText } from '../shared/readConfigFile.js';

/** EX_IOERR from sysexits.h. */
const EXIT_DURABILITY_LOST = 74;

function logDiskEvent(log: Logger, dataDir: string, event: DiskEvent): void {
  switch (event.kind) {
    case 'full':
      log.error({ dataDir, releasedReserveBytes: event.releasedBytes }, 'the disk is full: only pause, resume, terminate, halt and unhalt are taken until space is freed');
      return;
    case 'recovered':
      log.warn({ dataDir, reserveBytes: event.reserveBytes }, 'disk space is back: every write is taken again');
      return;
    case 'reserve-missing':
      log.error(
        { dataDir, wantedBytes: event.wantedBytes, err: event.cause },
        'cannot create the disk reserve: running without one, so a full disk can also stop the kill switch; free space (or set --disk-reserve 0 to silence this)',
      );
  }
}

/**
 * Runs one step of start-up. What stops it is a StartupError whose message main
 * prints as one line; its cause and stack are logged here, at debug level only.
 */
async function startupStep<T>(log: Logger, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    log.debug({ err }, 'start-up failed');
    throw err;
  }
}

/** The shared PostgreSQL store; what goes wrong on its connections after start-up is logged, never thrown. */
function openPostgres(databaseUrl: string, log: Logger): Promise<PostgresActionStore> {
  log.info({ database: redactedUrl(databaseUrl) }, 'opening the PostgreSQL store');
  // The message and code only: pg's errors can carry the connection, and with it its password.
  const describe = (err: unknown): { message: string; code?: unknown } =>
    err instanceof Error ? { message: err.message, code: (err as { code?: unknown }).code } : { message: String(err) };
  return PostgresActionStore.open(databaseUrl, { onListenerError: (err) => log.warn({ reason: describe(err) }, 'PostgreSQL connection or listener failed; retrying') });
}

/** `actiongate serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { config: base, catalogFile, quickCheck, databaseUrl } = loadServeConfig(argv, env);
  const actionTypes = catalogFile === null ? [] : parseCatalog(readConfigText(catalogFile, '--catalog'), catalogFile);
  // Fail on a bad catalog before opening anything.
  new ActionCatalog(actionTypes);
  const config = { ...base, actionTypes };
  const log = pino({ level: config.logLevel, base: { service: 'actiongate' } });
  const store = databaseUrl !== null ? await startupStep(log, () => openPostgres(databaseUrl, log)) : await startupStep(log, () => SqliteActionStore.open(config.dataDir, {
    quickCheck,
    diskReserveBytes: config.diskReserveBytes,
    onDiskEvent: (event) => logDiskEvent(log, config.dataDir, event),
    onListenerError: (err) => log.error({ err }, 'event listener failed'),
    // Crash-only: a restart recovers the WAL and syncs it before serving again.
    onDurabilityLost: (err) => {
      log.fatal({ err }, 'the database could not be synced to disk; exiting');
      process.exit(EXIT_DURABILITY_LOST);
    },
  }));
  const grpcLogs = routeGrpcLogs(log);
  const location = databaseUrl !== null ? { store: 'postgres' as const, database: redactedUrl(databaseUrl) } : { store: 'sqlite' as const, dataDir: config.dataDir };
  const server = await startupStep(log, () => startServer(config, store, log, location));
  grpcLogs.started();
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
    // SIGHUP means "read the auth file and the policy again" (they listen for it themselves);
    // with neither, it must not fall through to its default action and end the server.
    process.on('SIGHUP', () => log.info('SIGHUP: configuration files, if any, are read again'));
  });
}
