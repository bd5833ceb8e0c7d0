import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;

const OTHER_METHODS = { GET: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], POST: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] } as const;

/**
 * Serves `url` for one method (GET includes HEAD) and answers 405, naming the
 * method that works, for the others: a POST to /metrics is a mistake to point
 * out, not a path that does not exist.
 */
export function exactRoute(app: FastifyInstance, method: 'GET' | 'POST', url: string, handler: Handler, refuse: (reply: FastifyReply, allow: string) => unknown): void {
  app.route({ method, url, handler });
  app.route({ method: [...OTHER_METHODS[method]], url, handler: (_request, reply) => refuse(reply, method === 'GET' ? 'GET, HEAD' : method) });
}
