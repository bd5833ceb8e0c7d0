import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseAddress } from '../shared/parseAddress.js';
import type { ApiEnv } from './http/ApiEnv.js';
import { registerApi } from './http/apiRoutes.js';
import { exactRoute } from './http/exactRoute.js';
import { edgeRefusal } from './http/httpError.js';
import { sendRefusal } from './http/httpRoute.js';
import { inboxAssets } from './http/inboxAssets.js';
import { SECURITY_HEADERS } from './http/securityHeaders.js';
import type { ServerMetrics } from './ServerMetrics.js';

export interface SidePortProbes {
  /** The process can reach its store. */
  live(): Promise<boolean>;
  /** null when the server takes every call; otherwise why not (shutting down, disk full). */
  ready(): string | null;
}

export interface RunningSidePort {
  readonly port: number;
  close(): Promise<void>;
}

/** Room for the JSON around a payload of the largest size the server takes. */
const BODY_SLACK_BYTES = 16 * 1024;

/**
 * The route the router chose, not the raw URL: it decodes the path, so
 * `/%61pi/v1/halt` is /api/v1/halt and must meet the same checks.
 */
const isApi = (request: FastifyRequest): boolean => (request.routeOptions.url ?? request.url).startsWith('/api/') || request.url.startsWith('/api/');

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (request.headers['sec-fetch-site'] === 'cross-site') return false;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * HTTP beside gRPC, on fastify: probes and scrapes (GET /healthz, /readyz,
 * /metrics), the JSON API under /api/v1 and the inbox's files at /. Fastify
 * rather than hand routing: path parameters, body limits and JSON parsing are
 * its well-tested job, and it stays out of the way of a raw response for SSE.
 */
export async function startSidePort(listen: string, metrics: ServerMetrics, probes: SidePortProbes, log: Logger, api: ApiEnv): Promise<RunningSidePort> {
  const app = Fastify({
    logger: false,
    bodyLimit: api.config.maxPayloadBytes + BODY_SLACK_BYTES,
    // Open event streams end on the shutdown signal; what is still connected at close is cut.
    forceCloseConnections: true,
  });
  // JSON only: a text/plain body is the shape of a cross-site form post.
  app.removeContentTypeParser('text/plain');

  const text = (reply: FastifyReply, code: number, body: string): FastifyReply =>
    reply.code(code).type('text/plain; charset=utf-8').send(body);
  const refuseMethod = (reply: FastifyReply, allow: string): FastifyReply => {
    reply.header('allow', allow);
    if (isApi(reply.request)) return sendRefusal(reply, edgeRefusal(405, 'method_not_allowed', `use ${allow}`));
    return text(reply, 405, 'method not allowed\n');
  };

  app.addHook('onRequest', async (request, reply) => {
    // A bearer token is no cookie, but in open mode nothing is needed at all: a page elsewhere must not make a browser post here.
    if (request.method !== 'GET' && request.method !== 'HEAD' && isApi(request) && !sameOrigin(request)) {
      return sendRefusal(reply, edgeRefusal(403, 'permission_denied', 'cross-origin requests are refused'));
    }
    return undefined;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    if (isApi(request)) reply.header('cache-control', 'no-store');
    return payload;
  });

  exactRoute(app, 'GET', '/healthz', async (_request, reply) => ((await probes.live()) ? text(reply, 200, 'ok\n') : text(reply, 503, 'store unreachable\n')), refuseMethod);
  exactRoute(app, 'GET', '/readyz', (_request, reply) => {
    const notReady = probes.ready();
    return notReady === null ? text(reply, 200, 'ready\n') : text(reply, 503, `not ready: ${notReady}\n`);
  }, refuseMethod);
  exactRoute(app, 'GET', '/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()), refuseMethod);

  registerApi(app, api, refuseMethod);

  const assets = inboxAssets();
  if (assets.size === 0) log.warn('the inbox\'s files (web/) were not found: / answers 404');
  for (const [url, asset] of assets) {
    exactRoute(app, 'GET', url, (_request, reply) => reply.header('cache-control', 'no-cache').type(asset.contentType).send(asset.body), refuseMethod);
  }

  app.setNotFoundHandler((request, reply) => {
    if (isApi(request)) return sendRefusal(reply, edgeRefusal(404, 'not_found', `no endpoint ${request.method} ${request.url.split('?')[0]}; see the README's JSON API section`));
    return text(reply, 404, 'not found: try /, /api/v1, /healthz, /readyz or /metrics\n');
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const code = err.statusCode ?? 500;
    // The path only: a query string may carry what a client should not have sent (a token).
    if (code >= 500) log.error({ err, path: request.url.split('?')[0] }, 'side port request failed');
    if (!isApi(request)) return text(reply, code >= 500 ? 500 : code, code >= 500 ? 'internal error\n' : `${err.message}\n`);
    if (code === 413) return sendRefusal(reply, edgeRefusal(413, 'payload_too_large', `the body is larger than ${app.initialConfig.bodyLimit} bytes`, { field: 'body' }));
    if (code === 415) return sendRefusal(reply, edgeRefusal(415, 'unsupported_media_type', 'send the body as Content-Type: application/json', { field: 'body' }));
    if (code >= 400 && code < 500) return sendRefusal(reply, edgeRefusal(400, 'invalid_argument', `body: ${err.message}`, { field: 'body' }));
    return sendRefusal(reply, edgeRefusal(500, 'internal', 'internal error; the server has logged the cause'));
  });

  const { host, port } = parseAddress('--http-listen', listen);
  await app.listen({ host, port });
  return {
    port: (app.server.address() as AddressInfo).port,
    close: () => app.close(),
  };
}
