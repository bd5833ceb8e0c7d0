import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { parseAddress } from '../shared/parseAddress.js';
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

/** Plain HTTP for probes and scrapes: GET /healthz, /readyz and /metrics; nothing else. */
export async function startSidePort(listen: string, metrics: ServerMetrics, probes: SidePortProbes, log: Logger): Promise<RunningSidePort> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    const answer = async (): Promise<void> => {
      switch (path) {
        case '/healthz':
          return (await probes.live()) ? reply(200, 'ok\n') : reply(503, 'store unreachable\n');
        case '/readyz': {
          const notReady = probes.ready();
          return notReady === null ? reply(200, 'ready\n') : reply(503, `not ready: ${notReady}\n`);
        }
        case '/metrics':
          return reply(200, await metrics.registry.metrics(), metrics.registry.contentType);
        default:
          return reply(404, 'not found: try /healthz, /readyz or /metrics\n');
      }
    };
    answer().catch((err: unknown) => {
      log.error({ err, path }, 'side port request failed');
      if (!res.headersSent) reply(500, 'internal error\n');
    });
  });
  const { host, port } = parseAddress('--http-listen', listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
