import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, Rpc } from '../../domain/roles.js';
import { status } from '@grpc/grpc-js';
import { ServerError, toClientError } from '../errorMapper.js';
import type { ApiEnv } from './ApiEnv.js';
import { authenticateRequest } from './authenticateRequest.js';
import { httpCallContext } from './httpCallContext.js';
import type { CallContext } from '../callContext.js';
import { httpRefusal, type HttpRefusal } from './httpError.js';
import type { HttpApiMetrics } from './HttpApiMetrics.js';

/** A generated response message's JSON encoder: the gRPC JSON mapping (lowerCamelCase, enums by name). */
export interface JsonEncoder<Res> {
  toJSON(message: Res): unknown;
}

export function sendRefusal(reply: FastifyReply, refusal: HttpRefusal): FastifyReply {
  if (refusal.statusCode === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(refusal.statusCode).send(refusal.body);
}

/** Answers a failure through the one error mapper: a status and `{error, message, details}`, never a stack. */
export function sendError(reply: FastifyReply, err: unknown, env: ApiEnv, rpc: string): FastifyReply {
  return sendRefusal(reply, httpRefusal(toClientError(err, env.log, rpc)));
}

export interface RouteSpec<Req, Res> {
  /** The RPC whose role the caller needs and whose work this is; null for what any principal may read. */
  readonly rpc: Rpc | null;
  readonly name: string;
  /** The request message from the path, query and body; what it throws is a 400 naming the field. */
  readonly decode: (request: FastifyRequest) => Req;
  readonly operation: (request: Req, context: CallContext, principal: Principal) => Promise<Res> | Res;
  readonly encode: JsonEncoder<Res>;
}

/**
 * Adapts an operation to an HTTP route, as unaryHandler does for gRPC: the caller
 * is authenticated from `Authorization: Bearer TOKEN` and its role checked first,
 * then the request is decoded and the operation runs; the answer is the response
 * message as JSON.
 */
export function httpRoute<Req, Res>(env: ApiEnv, metrics: HttpApiMetrics, spec: RouteSpec<Req, Res>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      if (env.shutdown.aborted) throw new ServerError(status.UNAVAILABLE, 'the server is shutting down; retry once it is back, or against another replica');
      const principal = authenticateRequest(request, spec.rpc, env);
      const message = spec.decode(request);
      const context = httpCallContext(reply.raw, principal, env.shutdown);
      try {
        const response = await spec.operation(message, context, principal);
        reply.code(200).send(spec.encode.toJSON(response));
      } finally {
        context.dispose();
      }
    } catch (err) {
      sendError(reply, err, env, spec.name);
    }
    metrics.answered.inc({ rpc: spec.name, code: String(reply.statusCode) });
    return reply;
  };
}
