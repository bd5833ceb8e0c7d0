import { status, type ClientReadableStream, type StatusObject } from '@grpc/grpc-js';
import { ActionClient } from '../client/ActionClient.js';
import { backoffDelay, RETRYABLE_STATUSES } from '../client/backoff.js';
import { connectionOptions } from '../client/connectionOptions.js';
import { CONNECTION_FLAGS, connectionSettings, type ConnectionSettings } from '../client/connectionSettings.js';
import { ControlClient } from '../client/ControlClient.js';
import { DEFAULT_KEEPALIVE_TIME_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS, MAX_KEEPALIVE_MS } from '../client/keepaliveChannelOptions.js';
import { ActionStatus } from '../gen/actiongate/v1/action.js';
import { WatchActionsResponse, type WatchActionsRequest } from '../gen/actiongate/v1/action_service.js';
import { WatchSignalsResponse } from '../gen/actiongate/v1/control_service.js';
import { sleep } from '../shared/abortableWait.js';
import { parseAddressList } from '../shared/parseAddress.js';
import { parseWholeNumber } from '../shared/parseWholeNumber.js';
import { cliFailure, EXIT } from './cliFailure.js';
import { parseCommandLine } from './parseCommandLine.js';
import { parseEnumList } from './parseEnum.js';
import { printable } from './printable.js';
import { DEFAULT_TIMEOUT_MS, parseTimeout } from './parseTimeout.js';
import { eventLine, signalLine, styleFor, type Style } from './renderAction.js';

const OPTIONS = {
  server: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  status: { type: 'string', multiple: true },
  type: { type: 'string' },
  node: { type: 'string' },
  service: { type: 'string' },
  'after-sequence': { type: 'string' },
  'after-signal': { type: 'string' },
  'keepalive-time-ms': { type: 'string' },
  'keepalive-timeout-ms': { type: 'string' },
  ...CONNECTION_FLAGS,
} as const;

/** Where the command writes: stdout gets one line per transition or signal, stderr what happens to the streams. */
export interface WatchOutput {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

interface WatchConfig {
  readonly server: string;
  readonly request: WatchActionsRequest;
  readonly afterSignal: string;
  readonly json: boolean;
  /** The deadline of the first call, which checks the server answers. */
  readonly timeoutMs: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly connection: ConnectionSettings;
}

function loadWatchConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WatchConfig {
  const { values } = parseCommandLine('watch', { args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  const server = values.server ?? env.ACTIONGATE_SERVER ?? '127.0.0.1:50051';
  parseAddressList('--server', server);
  const whole = (flag: string, raw: string | undefined, fallback: number, min: number, max?: number): number =>
    raw === undefined ? fallback : parseWholeNumber(flag, raw, min, max);
  return {
    server,
    request: {
      afterSequence: String(whole('--after-sequence', values['after-sequence'], 0, 0)),
      statuses: parseEnumList('--status', values.status, ActionStatus, 'ACTION_STATUS_'),
      node: values.node ?? '',
      service: values.service ?? '',
      actionType: values.type ?? '',
    },
    afterSignal: String(whole('--after-signal', values['after-signal'], 0, 0)),
    json: values.json === true,
    timeoutMs: parseTimeout(values.timeout),
    keepaliveTimeMs: whole('--keepalive-time-ms', values['keepalive-time-ms'], DEFAULT_KEEPALIVE_TIME_MS, 0, MAX_KEEPALIVE_MS),
    keepaliveTimeoutMs: whole('--keepalive-timeout-ms', values['keepalive-timeout-ms'], DEFAULT_KEEPALIVE_TIMEOUT_MS, 1, MAX_KEEPALIVE_MS),
    connection: connectionSettings(values, env),
  };
}

/** One kind of stream the watch follows: how to open it after a sequence, and how to print a message. */
interface Feed<M> {
  readonly name: string;
  open(after: string): ClientReadableStream<M>;
  /** The line to print and the sequence to resume after, or null for a message without one. */
  line(message: M): { readonly text: string; readonly sequence: string } | null;
}

/**
 * One stream, from the call to its end. Each message is printed as it comes,
 * pausing the stream while stdout is full. Resolves with the final status once
 * every message received has been printed, so the caller resumes after the right one.
 */
function followOnce<M>(feed: Feed<M>, after: string, out: WatchOutput, onPrinted: (sequence: string) => void, stop: AbortSignal): Promise<StatusObject> {
  return new Promise((resolve) => {
    const stream = feed.open(after);
    let final: StatusObject | undefined;
    let ended = false;
    const settle = (): void => {
      if (final === undefined || !ended) return;
      stop.removeEventListener('abort', cancel);
      resolve(final);
    };
    const cancel = (): void => stream.cancel();
    stop.addEventListener('abort', cancel, { once: true });
    stream.on('data', (message: M) => {
      const line = feed.line(message);
      if (line === null) return;
      const room = out.stdout.write(`${line.text}\n`);
      onPrinted(line.sequence);
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
 * Follows one feed until stopped, reopening it with backoff after the last
 * sequence printed. Resolves with 0 when stopped, or with the failure when the
 * server refuses the stream (reconnecting cannot fix that).
 */
async function follow<M>(feed: Feed<M>, initialAfter: string, out: WatchOutput, stop: AbortSignal): Promise<{ readonly ended: StatusObject } | null> {
  let after = initialAfter;
  let attempt = 0;
  for (;;) {
    const ended = await followOnce(feed, after, out, (sequence) => {
      after = sequence;
      attempt = 0;
    }, stop);
    if (stop.aborted) return null;
    if (!RETRYABLE_STATUSES.has(ended.code)) return { ended };
    const delay = backoffDelay(attempt++);
    out.stderr.write(`actiongate watch: ${feed.name} stream ended (${status[ended.code]}: ${printable(ended.details)}); reconnecting in ${delay} ms after sequence ${after}\n`);
    try {
      await sleep(delay, stop);
    } catch {
      return null;
    }
  }
}

function lines(config: WatchConfig, style: Style, actions: ActionClient, control: ControlClient): [Feed<WatchActionsResponse>, Feed<WatchSignalsResponse>] {
  return [
    {
      name: 'transitions',
      open: (after) => actions.raw.watchActions({ ...config.request, afterSequence: after }),
      line: (m) => (m.event === undefined ? null : { text: config.json ? JSON.stringify(WatchActionsResponse.toJSON(m)) : eventLine(m.event, style, true), sequence: m.event.sequence }),
    },
    {
      name: 'signals',
      open: (after) => control.raw.watchSignals({ afterSequence: after, node: config.request.node, service: config.request.service, actionType: config.request.actionType }),
      line: (m) => (m.signal === undefined ? null : { text: config.json ? JSON.stringify(WatchSignalsResponse.toJSON(m)) : signalLine(m.signal, style), sequence: m.signal.sequence }),
    },
  ];
}

/**
 * `actiongate watch`: prints history events (transitions) and control signals
 * as they happen, one line each (JSON lines with --json), until SIGINT or
 * SIGTERM, like `kubectl get -w`. A stream that ends or breaks (a restarted
 * server, a dead link found by keepalive) is reopened with backoff, resuming
 * after the last sequence printed, so no line is printed twice or skipped.
 * Resolves with the exit code (see EXIT): 0 when stopped.
 */
export async function watchCommand(argv: readonly string[], env: NodeJS.ProcessEnv, out: WatchOutput = process): Promise<number> {
  let server = env.ACTIONGATE_SERVER ?? '127.0.0.1:50051';
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const stopController = new AbortController();
  const stop = (): void => stopController.abort(new Error('watch stopped'));
  let actions: ActionClient | undefined;
  let control: ControlClient | undefined;
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A reader that went away (`| head`) ends the watch quietly.
  out.stdout.on('error', stop);
  try {
    const config = loadWatchConfig(argv, env);
    ({ server, timeoutMs } = config);
    const options = { ...connectionOptions(config.connection), keepaliveTimeMs: config.keepaliveTimeMs, keepaliveTimeoutMs: config.keepaliveTimeoutMs };
    actions = new ActionClient(server, options);
    control = new ControlClient(server, options);
    // A server that is down, silent or refuses us is told at once, not retried forever.
    await control.getControlState('', { timeoutMs });
    const [events, signals] = lines(config, styleFor(out.stdout, env), actions, control);
    const signalsFollowed = follow(signals, config.afterSignal, out, stopController.signal).then((result) => {
      // A server from before WatchSignals: transitions alone are still worth watching.
      if (result?.ended.code === status.UNIMPLEMENTED) {
        out.stderr.write('actiongate watch: this server does not stream control signals; showing transitions only\n');
        return null;
      }
      return result;
    });
    const failed = await Promise.race([follow(events, config.request.afterSequence, out, stopController.signal), signalsFollowed.then((r) => r ?? new Promise<never>(() => {}))]);
    stop();
    await signalsFollowed;
    if (failed === null) return EXIT.ok;
    const { code, details } = failed.ended;
    throw Object.assign(new Error(details), { code, details });
  } catch (err) {
    const failure = cliFailure(err, { command: 'watch', server, timeoutMs });
    if (failure === null) throw err;
    out.stderr.write(`actiongate: ${failure.message}\n`);
    return failure.exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    out.stdout.off('error', stop);
    actions?.close();
    control?.close();
  }
}
