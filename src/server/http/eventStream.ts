import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ActionFilter, ActionStore } from '../../store/ActionStore.js';
import { ValidationError } from '../../domain/errors.js';
import { requireRole } from '../../domain/roles.js';
import { HistoryEvent } from '../../gen/actiongate/v1/action.js';
import { ControlSignal } from '../../gen/actiongate/v1/control_service.js';
import { actionFilterOf } from '../actionFilter.js';
import { signalToProto } from '../controlMapping.js';
import { ServerError, toClientError } from '../errorMapper.js';
import { FellBehindError, historyFeed, WATCH_BUFFER_LIMIT } from '../historyFeed.js';
import { eventToProto } from '../protoMapping.js';
import { writeWithBackpressure } from '../streamWriter.js';
import { status } from '@grpc/grpc-js';
import type { ApiEnv } from './ApiEnv.js';
import { authenticateRequest, requestCredentials } from './authenticateRequest.js';
import { edgeRefusal, httpRefusal, type HttpRefusal } from './httpError.js';
import type { HttpApiMetrics } from './HttpApiMetrics.js';
import { sendError } from './httpRoute.js';
import { digitsOf, oneOf, queryOf, statusesOf } from './requestFields.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

/** Bytes of control signals a client may leave unread before its stream is cut off (history waits for it instead). */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** How soon a browser's EventSource reconnects after the stream ends. */
const RETRY_MS = 1000;
/** Open event streams one principal may hold: each holds up to WATCH_BUFFER_LIMIT events, so their number bounds memory too. */
export const MAX_STREAMS_PER_PRINCIPAL = 32;
/** How long a refused stream's last bytes may wait for a reader that does not read before its connection is cut. */
const END_GRACE_MS = 2000;

interface StreamStart {
  readonly filter: ActionFilter;
  /** null: live events only, as for a client that has seen none yet. */
  readonly after: number | null;
  /** Which of Last-Event-ID and after_sequence gave `after`. */
  readonly field: string;
}

/** Where the stream starts: after Last-Event-ID when the client resumes, else after `after_sequence`, else live. */
function startOf(request: FastifyRequest): StreamStart {
  const query = queryOf(request.query, ['status', 'node', 'service', 'type', 'after_sequence']);
  const filter = actionFilterOf({ statuses: statusesOf(query), node: oneOf(query, 'node'), service: oneOf(query, 'service'), actionType: oneOf(query, 'type') });
  const lastEventId = request.headers['last-event-id'];
  if (typeof lastEventId === 'string' && lastEventId.trim() !== '') return { filter, after: digitsOf('Last-Event-ID', lastEventId.trim()), field: 'Last-Event-ID' };
  const afterSequence = oneOf(query, 'after_sequence');
  return { filter, after: afterSequence === '' ? null : digitsOf('after_sequence', afterSequence), field: 'after_sequence' };
}

/**
 * A position past the newest event is no position this server gave: the stream
 * would skip every event until the sequence caught up with it, and say nothing.
 */
async function requireIssued(store: ActionStore, start: StreamStart): Promise<void> {
  if (start.after === null || start.after === 0) return;
  const [issued] = await store.readEvents(start.after - 1, {}, 1);
  if (issued === undefined) throw new ValidationError(start.field, `no event has sequence ${start.after} yet; resume from an id this server sent, or leave it out to start live`);
}

function sse(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * GET /api/v1/events: history events as Server-Sent Events (`event: history`, the
 * id is the sequence), so a client that reconnects with Last-Event-ID gets exactly
 * what it missed. Control signals follow as `event: signal` hints (not replayed).
 * A comment every `sseHeartbeatMs` keeps an idle stream visibly alive. A slow
 * reader slows its own stream; one too far behind gets `event: error` and must resume.
 */
export function eventStreamRoute(env: ApiEnv, metrics: HttpApiMetrics) {
  const openByPrincipal = new Map<string, number>();
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let start: StreamStart;
    let name: string;
    try {
      if (env.shutdown.aborted) throw new ServerError(status.UNAVAILABLE, 'the server is shutting down; reconnect once it is back');
      name = authenticateRequest(request, 'WatchActions', env).name;
      start = startOf(request);
      await requireIssued(env.store, start);
      if ((openByPrincipal.get(name) ?? 0) >= MAX_STREAMS_PER_PRINCIPAL) {
        throw new ServerError(status.RESOURCE_EXHAUSTED, `${name} already has ${MAX_STREAMS_PER_PRINCIPAL} event streams open; close one first`);
      }
    } catch (err) {
      sendError(reply, err, env, 'WatchActions');
      metrics.answered.inc({ rpc: 'WatchActions', code: String(reply.statusCode) });
      return;
    }
    metrics.answered.inc({ rpc: 'WatchActions', code: '200' });
    // A HEAD asks for the headers only: there is no stream to hold open for it.
    if (request.method === 'HEAD') {
      reply.code(200).headers({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' }).send();
      return;
    }
    reply.hijack();
    openByPrincipal.set(name, (openByPrincipal.get(name) ?? 0) + 1);
    metrics.openEventStreams.inc();
    try {
      await stream(reply.raw, request, start, env);
    } finally {
      const left = (openByPrincipal.get(name) ?? 1) - 1;
      if (left === 0) openByPrincipal.delete(name);
      else openByPrincipal.set(name, left);
      metrics.openEventStreams.dec();
    }
  };
}

async function stream(res: ServerResponse, request: FastifyRequest, start: StreamStart, env: ApiEnv): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, env.shutdown]);
  let lastSent = start.after ?? 0;
  let ended = false;
  const refuse = (refusal: HttpRefusal): void => {
    if (ended) return;
    ended = true;
    res.write(sse('error', refusal.body));
    // A reader that does not read would keep the connection (and what waits in it) forever.
    setTimeout(() => {
      if (!res.writableFinished) res.destroy();
    }, END_GRACE_MS).unref();
    stop.abort();
  };
  const fellBehind = (): void =>
    refuse(edgeRefusal(429, 'resource_exhausted', `the stream fell behind by more than ${WATCH_BUFFER_LIMIT} events; reconnect with Last-Event-ID: ${lastSent}`));
  res.once('close', () => stop.abort());
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // Proxies that buffer responses (nginx) would hold events back.
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${RETRY_MS}\n: connected\n\n`);

  const heartbeat = setInterval(() => {
    if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
  }, env.config.sseHeartbeatMs);
  const stopSignals = env.store.onSignals((signals) => {
    if (ended) return;
    if (res.writableLength > MAX_UNSENT_BYTES) {
      refuse(edgeRefusal(429, 'resource_exhausted', `the stream fell behind; reconnect with Last-Event-ID: ${lastSent}`));
      return;
    }
    for (const s of signals) res.write(sse('signal', ControlSignal.toJSON(signalToProto(s))));
  });
  // The credential is checked again whenever the auth file changes, as for gRPC streams.
  const credentials = requestCredentials(request);
  const stopAuth = env.auth.onChange(() => {
    try {
      requireRole(env.auth.authenticate(credentials), 'WatchActions');
    } catch (err) {
      refuse(httpRefusal(toClientError(err, env.log, 'WatchActions')));
    }
  });
  try {
    for await (const event of historyFeed(env.store, start.filter, start.after, signal, fellBehind)) {
      if (!(await writeWithBackpressure(res, sse('history', HistoryEvent.toJSON(eventToProto(event)), event.sequence), signal))) break;
      lastSent = event.sequence;
    }
  } catch (err) {
    if (err instanceof FellBehindError) {
      fellBehind();
    } else {
      refuse(httpRefusal(toClientError(err, env.log, 'WatchActions')));
    }
  } finally {
    clearInterval(heartbeat);
    stopSignals();
    stopAuth();
    res.end();
  }
}
