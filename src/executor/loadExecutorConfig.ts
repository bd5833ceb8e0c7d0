import { parseArgs } from 'node:util';
import { CONNECTION_FLAGS, connectionSettings, type ConnectionSettings } from '../client/connectionSettings.js';
import { DEFAULT_KEEPALIVE_TIME_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS, MAX_KEEPALIVE_MS } from '../client/keepaliveChannelOptions.js';
import { ACTION_TYPE_PATTERN } from '../domain/catalog.js';
import { ConfigError } from '../shared/ConfigError.js';
import { parseLogLevel } from '../shared/logLevels.js';
import { parseAddressList } from '../shared/parseAddress.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';
import { ExecutorConfigError } from './ExecutorConfigError.js';

export interface ExecutorConfig {
  /** host:port of the actiongate server. */
  readonly server: string;
  readonly executorId: string;
  /** The action types to claim; null means every type this executor has a handler for. */
  readonly actionTypes: readonly string[] | null;
  /** A JSON file of real handlers, read by the caller; null runs the built-in simulations only. */
  readonly handlersFile: string | null;
  readonly leaseTtlSeconds: number;
  /** Actions run at the same time. */
  readonly concurrency: number;
  /** How long one Execute long poll waits for an approved action. */
  readonly pollWaitSeconds: number;
  /** On SIGTERM or SIGINT, how long running actions may finish before they are aborted. */
  readonly shutdownGraceSeconds: number;
  /** How often the executor's channels ping the server (0: never) and how long a ping may go unanswered. */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** How long the control stream may be down before running actions hold at their checkpoints; null: a third of each lease. */
  readonly disconnectGraceMs: number | null;
  readonly logLevel: string;
  /** Where running commands are recorded (created 0700); by default defaultStateDir(executorId). */
  readonly stateDir: string;
  /** The bearer token or token file and the TLS files to reach the server with; files are read by the caller. */
  readonly connection: ConnectionSettings;
}

/** Every default but the state directory's, which depends on the executor id (defaultStateDir). */
export const DEFAULT_EXECUTOR_CONFIG: Omit<ExecutorConfig, 'stateDir'> = {
  server: '127.0.0.1:50051',
  executorId: '',
  actionTypes: null,
  handlersFile: null,
  leaseTtlSeconds: 30,
  concurrency: 1,
  pollWaitSeconds: 20,
  shutdownGraceSeconds: 30,
  keepaliveTimeMs: DEFAULT_KEEPALIVE_TIME_MS,
  keepaliveTimeoutMs: DEFAULT_KEEPALIVE_TIMEOUT_MS,
  disconnectGraceMs: null,
  logLevel: 'info',
  connection: { token: null, tokenFile: null, tlsCa: null, tlsCert: null, tlsKey: null },
};

/** executor-state/<executor id>, the id made a safe file name (encoded, so two ids never share a directory). */
export function defaultStateDir(executorId: string): string {
  const name = encodeURIComponent(executorId).replace(/^\.\.?$/, (dots) => dots.replaceAll('.', '%2E'));
  return `executor-state/${name}`;
}

/** The server's limits (ServerConfig.maxLeaseTtlSeconds, maxWaitSeconds); a larger value would be refused on every claim. */
const MAX_LEASE_TTL_SECONDS = 3600;
const MAX_POLL_WAIT_SECONDS = 60;
const MAX_CONCURRENCY = 256;
const MAX_EXECUTOR_ID_LENGTH = 256;
const MAX_DISCONNECT_GRACE_MS = MAX_LEASE_TTL_SECONDS * 1000;

function intInRange(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  return raw === undefined ? fallback : asExecutorConfigError(() => parseWholeNumber(name, raw, min, max));
}

/** The shared parsers' ConfigError as this command's own error type. */
function asExecutorConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ConfigError) throw new ExecutorConfigError(err.message, { cause: err });
    throw err;
  }
}

function actionTypeList(raw: string | undefined): string[] | null {
  if (raw === undefined) return null;
  const types = [...new Set(raw.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
  if (types.length === 0) throw new ExecutorConfigError('--action-types must name at least one action type, e.g. --action-types collect_diagnostics,rerun_healthcheck');
  const bad = types.find((t) => !ACTION_TYPE_PATTERN.test(t));
  if (bad !== undefined) throw new ExecutorConfigError(`--action-types: "${bad}" is not an action type name (lower_snake_case, at most 63 characters)`);
  return types;
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        'executor-id': { type: 'string' },
        'action-types': { type: 'string' },
        handlers: { type: 'string' },
        'lease-ttl-seconds': { type: 'string' },
        concurrency: { type: 'string' },
        'poll-wait-seconds': { type: 'string' },
        'shutdown-grace-seconds': { type: 'string' },
        'keepalive-time-ms': { type: 'string' },
        'keepalive-timeout-ms': { type: 'string' },
        'disconnect-grace-ms': { type: 'string' },
        'log-level': { type: 'string' },
        'state-dir': { type: 'string' },
        ...CONNECTION_FLAGS,
      },
    }).values;
  } catch (err) {
    throw new ExecutorConfigError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/**
 * The `executor` command's settings from its arguments and environment,
 * validated, with every default written out in DEFAULT_EXECUTOR_CONFIG.
 * Flags win over environment. Pure: reads no files and no process state.
 */
export function loadExecutorConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ExecutorConfig {
  const values = parse(argv);
  const d = DEFAULT_EXECUTOR_CONFIG;
  const server = values.server ?? env.ACTIONGATE_SERVER ?? d.server;
  asExecutorConfigError(() => parseAddressList('--server', server));
  const executorId = (values['executor-id'] ?? env.ACTIONGATE_EXECUTOR_ID ?? '').trim();
  if (executorId === '') throw new ExecutorConfigError('--executor-id is required (or ACTIONGATE_EXECUTOR_ID): a stable name for this executor, e.g. --executor-id worker-1');
  if (executorId.length > MAX_EXECUTOR_ID_LENGTH) throw new ExecutorConfigError(`--executor-id must be at most ${MAX_EXECUTOR_ID_LENGTH} characters`);
  const logLevel = asExecutorConfigError(() => parseLogLevel('--log-level', values['log-level'] ?? env.ACTIONGATE_LOG_LEVEL ?? d.logLevel));
  const handlersFile = values.handlers ?? env.ACTIONGATE_HANDLERS ?? d.handlersFile;
  if (handlersFile !== null && handlersFile.trim() === '') throw new ExecutorConfigError('--handlers must name a file');
  const stateDir = values['state-dir'] ?? env.ACTIONGATE_STATE_DIR ?? defaultStateDir(executorId);
  if (stateDir.trim() === '') throw new ExecutorConfigError('--state-dir must name a directory');
  return {
    server,
    executorId,
    actionTypes: actionTypeList(values['action-types'] ?? env.ACTIONGATE_ACTION_TYPES),
    handlersFile,
    leaseTtlSeconds: intInRange('--lease-ttl-seconds', values['lease-ttl-seconds'], d.leaseTtlSeconds, 1, MAX_LEASE_TTL_SECONDS),
    concurrency: intInRange('--concurrency', values.concurrency, d.concurrency, 1, MAX_CONCURRENCY),
    pollWaitSeconds: intInRange('--poll-wait-seconds', values['poll-wait-seconds'], d.pollWaitSeconds, 1, MAX_POLL_WAIT_SECONDS),
    shutdownGraceSeconds: intInRange('--shutdown-grace-seconds', values['shutdown-grace-seconds'], d.shutdownGraceSeconds, 0, 3600),
    keepaliveTimeMs: intInRange('--keepalive-time-ms', values['keepalive-time-ms'], d.keepaliveTimeMs, 0, MAX_KEEPALIVE_MS),
    keepaliveTimeoutMs: intInRange('--keepalive-timeout-ms', values['keepalive-timeout-ms'], d.keepaliveTimeoutMs, 1, MAX_KEEPALIVE_MS),
    disconnectGraceMs: values['disconnect-grace-ms'] === undefined
      ? d.disconnectGraceMs
      : intInRange('--disconnect-grace-ms', values['disconnect-grace-ms'], 0, 0, MAX_DISCONNECT_GRACE_MS),
    logLevel,
    stateDir,
    connection: asExecutorConfigError(() => connectionSettings(values, env)),
  };
}
