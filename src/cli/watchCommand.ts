import { parseArgs } from 'node:util';
import { status, type StatusObject } from '@grpc/grpc-js';
import { ActionClient } from '../client/ActionClient.js';
import { backoffDelay, RETRYABLE_STATUSES } from '../client/backoff.js';
import { connectionOptions } from '../client/connectionOptions.js';
import { CONNECTION_FLAGS, connectionSettings, type ConnectionSettings } from '../client/connectionSettings.js';
import { DEFAULT_KEEPALIVE_TIME_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS, MAX_KEEPALIVE_MS } from '../client/keepaliveChannelOptions.js';
import { ActionStatus } from '../gen/actiongate/v1/action.js';
import { WatchActionsResponse, type WatchActionsRequest } from '../gen/actiongate/v1/action_service.js';
import { sleep } from '../shared/abortableWait.js';
import { ConfigError } from '../shared/ConfigError.js';
import { parseAddressList } from '../shared/parseAddress.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';

const OPTIONS = {
  server: { type: 'string' },
  status: { type: 'string', multiple: true },
  type: { type: 'string' },
  node: { type: 'string' },
  service: { type: 'string' },
  'after-sequence': { type: 'string' },
  'keepalive-time-ms': { type: 'string' },
  'keepalive-timeout-ms': { type: 'string' },
  ...CONNECTION_FLAGS,
} as const;

/** Where the command writes: stdout gets one JSON line per event, stderr what happens to the stream. */
export interface WatchOutput {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

interface WatchConfig {
  readonly server: string;
  readonly request: WatchActionsRequest;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly connection: ConnectionSettings;
}

/** The statuses a watch may filter on, by their lower-case names (pending, approved, ...). */
const STATUS_NAMES: ReadonlyMap<string, ActionStatus> = new Map(
  Object.entries(ActionStatus)
    .filter((entry): entry is [string, ActionStatus] => typeof entry[1] === 'number' && entry[1] > 0)
    .map(([name, value]) => [name.replace('ACTION_STATUS_', '').toLowerCase(), value]),
);

function parseStatus(raw: string): ActionStatus {
  const value = STATUS_NAMES.get(raw.trim().toLowerCase());
  if (value === undefined) throw new ConfigError(`--status must be one of ${[...STATUS_NAMES.keys()].join(', ')}; got "${raw}"`);
  return value;
}

function loadWatchConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WatchConfig {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const server = values.server ?? env.ACTIONGATE_SERVER ?? '127.0.0.1:50051';
  parseAddressList('--server', server);
  const whole = (flag: string, raw: string | undefined, fallback: number, min: number, max?: number): number =>
    raw === undefined ? fallback : parseWholeNumber(flag, raw, min, max);
  return {
    server,
    request: {
      afterSequence: String(whole('--after-sequence', values['after-sequence'], 0, 0)),
      statuses: (values.status ?? []).map(parseStatus),
      node: values.node ?? '',
      service: values.service ?? '',
      actionType: values.type ?? '',
    },
    keepaliveTimeMs: whole('--keepalive-time-ms', values['keepalive-time-ms'], DEFAULT_KEEPALIVE_TIME_MS, 0, MAX_KEEPALIVE_MS),
    keepaliveTimeoutMs: whole('--keepalive-timeout-ms', values['keepalive-timeout-ms'], DEFAULT_KEEPALIVE_TIMEOUT_MS, 1, MAX_KEEPALIVE_MS),
    connection: connectionSettings(values, env),
  };
}

/**
 * One WatchActions stream, from the call to its end. Each event is printed as
 * it comes, pausing the stream while stdout is full; `onEvent` hears each
 * printed sequence. Resolves with the final status once every message
 * received has been printed, so the caller resumes after the right one.
 */
function watchOnce(client: ActionClient, request: WatchActionsRequest, out: WatchOutput, onEvent: (sequence: string) => void, stop: AbortSignal): Promise<StatusObject> {
  return new Promise((resolve) => {
    const stream = client.raw.watchActions(request);
    let final: StatusObject | undefined;
    let ended = false;
    const settle = (): void => {
      if (final === undefined || !ended) return;
      stop.removeEventListener('abort', cancel);
      resolve(final);
    };
    const cancel = (): void => stream.cancel();
    stop.addEventListener('abort', cancel, { once: true });
    stream.on('data', (message: WatchActionsResponse) => {
      const room = out.stdout.write(`${JSON.stringify(WatchActionsResponse.toJSON(message))}\n`);
      if (message.event !== undefined) onEvent(message.event.sequence);
      if (!room) {
        stream.pause();
        out.stdout.once('drain', () => stream.resume());
      }
    });
    // The status says how it ended; 'end' says every message before it was printed.
    stream.on('error', () => {});
    stream.on('status', (s: StatusObject) => {
      final = s;
      settle();
    });
    stream.on('end', () => {
      ended = true;
      settle();
    });
  });
}

/**
 * `actiongate watch`: streams WatchActions as JSON lines, one per history
 * event, until SIGINT or SIGTERM. A stream that ends or breaks (a restarted
 * server, a dead link found by keepalive) is reopened with backoff, resuming
 * after the last sequence printed, so no event is printed twice or skipped.
 * Resolves with the exit code: 0 when stopped, 1 when the server refuses the watch.
 */
export async function watchCommand(argv: readonly string[], env: NodeJS.ProcessEnv, out: WatchOutput = process): Promise<number> {
  const config = loadWatchConfig(argv, env);
  const client = new ActionClient(config.server, { ...connectionOptions(config.connection), keepaliveTimeMs: config.keepaliveTimeMs, keepaliveTimeoutMs: config.keepaliveTimeoutMs });
  const stopController = new AbortController();
  const stop = (): void => stopController.abort(new Error('watch stopped'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A reader that went away (`| head`) ends the watch quietly.
  out.stdout.on('error', stop);
  let after = config.request.afterSequence;
  let attempt = 0;
  try {
    for (;;) {
      const ended = await watchOnce(client, { ...config.request, afterSequence: after }, out, (sequence) => {
        after = sequence;
        attempt = 0;
      }, stopController.signal);
      if (stopController.signal.aborted) return 0;
      if (!RETRYABLE_STATUSES.has(ended.code)) {
        out.stderr.write(`actiongate watch: ${ended.details} (gRPC status ${ended.code})\n`);
        return 1;
      }
      const delay = backoffDelay(attempt++);
      out.stderr.write(`actiongate watch: stream ended (${status[ended.code]}: ${ended.details}); reconnecting in ${delay} ms after sequence ${after}\n`);
      try {
        await sleep(delay, stopController.signal);
      } catch {
        return 0;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    out.stdout.off('error', stop);
    client.close();
  }
}
