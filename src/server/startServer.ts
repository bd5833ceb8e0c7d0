import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { ActionCatalog } from '../domain/catalog.js';
import { ControlHub } from '../control/ControlHub.js';
import { ActionServiceService } from '../gen/actiongate/v1/action_service.js';
import { ControlServiceService } from '../gen/actiongate/v1/control_service.js';
import type { ActionStore } from '../store/ActionStore.js';
import { createActionServiceHandlers } from './ActionServiceHandlers.js';
import { createControlServiceHandlers } from './ControlServiceHandlers.js';
import { LeaseSweeper } from './LeaseSweeper.js';
import { addReflection } from './reflection.js';
import type { ServerConfig } from './ServerConfig.js';

const SERVICES = ['actiongate.v1.ActionService', 'actiongate.v1.ControlService'];

export interface RunningServer {
  /** The port bound, useful when the config asked for port 0. */
  readonly port: number;
  readonly address: string;
  /** Stops accepting calls, ends streams, lets calls in flight finish (up to the grace period), then closes the store. */
  shutdown(): Promise<void>;
}

function bindAsync(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function tryShutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** Starts the gRPC server on `config.listen` over an opened store; the server owns the store from here on. */
export async function startServer(config: ServerConfig, store: ActionStore, log: Logger): Promise<RunningServer> {
  const shutdownController = new AbortController();
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  const catalog = new ActionCatalog(config.actionTypes);
  const deps = { store, catalog, config, log, shutdown: shutdownController.signal };
  const hub = new ControlHub(store, config.controlBufferLimit);
  hub.start();
  server.addService(ActionServiceService, createActionServiceHandlers(deps));
  server.addService(ControlServiceService, createControlServiceHandlers({ store, hub, log, shutdown: deps.shutdown }));

  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(SERVICES.map((s) => [s, 'SERVING' as const])) });
  health.addToServer(server);
  addReflection(server);

  const sweeper = new LeaseSweeper(store, config.sweepIntervalMs, log);
  let port: number;
  try {
    port = await bindAsync(server, config.listen);
  } catch (err) {
    await store.close();
    throw new Error(`cannot listen on ${config.listen}`, { cause: err });
  }
  sweeper.start();
  const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
  const address = `${host}:${port}`;
  log.info({ address, dataDir: config.dataDir, actionTypes: catalog.types() }, 'actiongate listening');

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('shutting down');
      for (const service of ['', ...SERVICES]) health.setStatus(service, 'NOT_SERVING');
      // Streams and long polls end first so tryShutdown only waits for short calls.
      shutdownController.abort();
      hub.stop();
      await tryShutdown(server, config.shutdownGraceMs);
      await sweeper.stop();
      await store.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { port, address, shutdown };
}
