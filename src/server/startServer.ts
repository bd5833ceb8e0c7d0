import { setMaxListeners } from 'node:events';
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { ActionCatalog } from '../domain/catalog.js';
import { ControlHub } from '../control/ControlHub.js';
import type { ActionStore } from '../store/ActionStore.js';
import { createActionOperations } from './ActionOperations.js';
import { createActionServiceHandlers } from './ActionServiceHandlers.js';
import { createControlOperations } from './ControlOperations.js';
import { createControlServiceHandlers } from './ControlServiceHandlers.js';
import { ACTION_SERVICE_DEFINITION, CONTROL_SERVICE_DEFINITION } from './serviceDefinitions.js';
import { AuthState } from './auth/AuthState.js';
import { PolicyState } from './policy/PolicyState.js';
import { DEFAULT_POLICY } from '../domain/policy.js';
import { LeaseSweeper } from './LeaseSweeper.js';
import { OpenStreams } from './OpenStreams.js';
import { reflectionAuth } from './reflectionAuth.js';
import { addReflection } from './reflection.js';
import { startSidePort, type RunningSidePort } from './httpSidePort.js';
import { isLoopbackHost } from './isLoopbackHost.js';
import { listenFailure } from './listenFailure.js';
import { OpenModeRefusedError } from './OpenModeRefusedError.js';
import { serverCredentials } from './serverCredentials.js';
import type { ServerConfig } from './ServerConfig.js';
import { ServerMetrics } from './ServerMetrics.js';
import { ConfigError } from '../shared/ConfigError.js';
import { PACKAGE_VERSION } from '../shared/packageVersion.js';
import { Notifier } from './notifier/Notifier.js';

const SERVICES = ['actiongate.v1.ActionService', 'actiongate.v1.ControlService'];
/**
 * How often a client may ping. The SDK pings every 10 s by default, tests and
 * impatient clients every second; grpc-js does not police client pings today,
 * but a server that does would answer faster pings with GOAWAY (too_many_pings).
 */
const MIN_CLIENT_PING_INTERVAL_MS = 1000;

export interface RunningServer {
  /** The port bound, useful when the config asked for port 0. */
  readonly port: number;
  readonly address: string;
  /** The HTTP side port bound, or null when it is off. */
  readonly httpPort: number | null;
  /** Stops accepting calls, ends streams, lets calls in flight finish (up to the grace period), then closes the store. */
  shutdown(): Promise<void>;
}

function bindAsync(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** The auth file in force; one that cannot be read at all is a ConfigError too, not a stack trace. */
function openAuth(file: string | null, log: Logger): AuthState {
  try {
    return AuthState.open(file, log);
  } catch (err) {
    if (err instanceof ConfigError || file === null) throw err;
    throw new ConfigError(`cannot read --auth-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
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

/** Where the store keeps its data, as the start-up log says it: never a password. */
export type StoreLocation = { readonly store: 'sqlite'; readonly dataDir: string } | { readonly store: 'postgres'; readonly database: string };

/**
 * Starts the gRPC server on `config.listen` over an opened store; the server owns the store from here on.
 * `location` defaults to SQLite in `config.dataDir`; a PostgreSQL store passes its redacted URL.
 */
export async function startServer(
  config: ServerConfig,
  store: ActionStore,
  log: Logger,
  location: StoreLocation = { store: 'sqlite', dataDir: config.dataDir },
): Promise<RunningServer> {
  const catalog = new ActionCatalog(config.actionTypes);
  let auth: AuthState;
  let policy: PolicyState;
  let credentials: ServerCredentials;
  try {
    OpenModeRefusedError.check(config);
    auth = openAuth(config.authFile, log);
    policy = new PolicyState(config.policyFile, catalog, log, { ...DEFAULT_POLICY, pendingTtlSeconds: config.defaultPendingTtlSeconds });
    credentials = serverCredentials(config.tls);
  } catch (err) {
    await store.close();
    throw err;
  }
  const shutdownController = new AbortController();
  // Every open stream and long poll listens to it: thousands of listeners are expected, not a leak.
  setMaxListeners(0, shutdownController.signal);
  const server = new Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    // channelz is not served here, and its per-call bookkeeping is a visible share of a Propose.
    'grpc.enable_channelz': 0,
    interceptors: [reflectionAuth(auth)],
    // Ping every connection and drop one that does not answer: a half-open link's calls are
    // cancelled, so its control stream leaves the hub and subscribed_executors.
    'grpc.keepalive_time_ms': config.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': config.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': MIN_CLIENT_PING_INTERVAL_MS,
  });
  const hub = new ControlHub(store, config.controlBufferLimit);
  hub.start();
  const metrics = new ServerMetrics(() => hub.subscriberCount(), () => store.health(), () => store.stats());
  const notifier = config.notifyWebhooks.length === 0 ? null : new Notifier({
    store, webhooks: config.notifyWebhooks, publicUrl: config.publicUrl, log: log.child({ component: 'notifier' }),
    onAttempt: (outcome) => metrics.notifications.inc({ outcome }),
  });
  // Before the first call: every notification is recorded with the transition that causes it.
  store.routeNotifications(notifier?.targets ?? []);
  const stopCounting = countCommits(store, metrics);
  const streamEnv = { log, shutdown: shutdownController.signal, metrics, auth };
  const env = { ...streamEnv, streams: new OpenStreams(streamEnv) };
  // One set of operations behind both transports: gRPC and the JSON API answer alike.
  const operations = {
    actions: createActionOperations({ ...env, store, catalog, config, policy }),
    control: createControlOperations({ ...env, store, hub }),
  };
  server.addService(ACTION_SERVICE_DEFINITION, createActionServiceHandlers({ ...env, store, operations: operations.actions }));
  server.addService(CONTROL_SERVICE_DEFINITION, createControlServiceHandlers({ ...env, store, hub, operations: operations.control }));

  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(SERVICES.map((s) => [s, 'SERVING' as const])) });
  health.addToServer(server);
  addReflection(server);

  const sweeper = new LeaseSweeper(store, config.sweepIntervalMs, log);
  let port: number;
  try {
    port = await bindAsync(server, config.listen, credentials);
  } catch (err) {
    await store.close();
    throw listenFailure(config.listen, '--listen', err);
  }
  const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
  const address = `${host}:${port}`;
  let sidePort: RunningSidePort | null = null;
  if (config.httpListen !== null) {
    const probes = {
      live: () => store.haltState().then(() => true, () => false),
      ready: () => {
        if (shutdownController.signal.aborted) return 'shutting down';
        const { diskFull, unreachable } = store.health();
        return diskFull ? 'disk full: only kill-switch writes are taken' : unreachable === true ? 'the database cannot be reached' : null;
      },
    };
    try {
      sidePort = await startSidePort(config.httpListen, metrics, probes, log, { ...env, config, store, operations });
    } catch (err) {
      server.forceShutdown();
      await store.close();
      throw listenFailure(config.httpListen, '--http-listen', err);
    }
  }
  sweeper.start();
  notifier?.start();
  auth.start();
  policy.start();
  log.info({ mode: policy.current.mode, rules: policy.current.rules.length, source: policy.current.source }, 'policy in force');
  if (auth.open && isLoopbackHost(host)) log.warn({ address }, 'no auth file: every caller is "anonymous" and may do anything; this is for a laptop, on loopback only');
  else if (auth.open) log.warn({ address }, '--allow-unauthenticated: no auth file, and every caller on the network is "anonymous" and may do anything');
  log.info({ version: PACKAGE_VERSION, address, tls: config.tls === null ? 'off' : config.tls.clientCaFile === null ? 'on' : 'mutual', httpPort: sidePort?.port, ...location, actionTypes: catalog.types(), webhooks: config.notifyWebhooks.length }, 'actiongate listening');

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('shutting down');
      for (const service of ['', ...SERVICES]) health.setStatus(service, 'NOT_SERVING');
      // Streams and long polls end first so tryShutdown only waits for short calls.
      shutdownController.abort();
      hub.stop();
      auth.stop();
      policy.stop();
      await tryShutdown(server, config.shutdownGraceMs);
      await sweeper.stop();
      await notifier?.stop();
      await sidePort?.close();
      stopCounting();
      await store.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { port, address, httpPort: sidePort?.port ?? null, shutdown };
}

/**
 * Counts the transitions and signals this server committed. Replicas on one database each
 * count their own, so the sum over replicas is the whole.
 */
function countCommits(store: ActionStore, metrics: ServerMetrics): () => void {
  return store.onCommittedHere(({ events, signals }) => {
    for (const event of events) metrics.transitions.inc({ to: event.to });
    for (const signal of signals) metrics.controlSignals.inc({ signal: signal.signal });
  });
}
