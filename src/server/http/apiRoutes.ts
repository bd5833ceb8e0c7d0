import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mayCall, REQUIRED_ROLE, type Principal, type Rpc } from '../../domain/roles.js';
import * as actions from '../../gen/actiongate/v1/action_service.js';
import * as control from '../../gen/actiongate/v1/control_service.js';
import type { ApiEnv } from './ApiEnv.js';
import { eventStreamRoute } from './eventStream.js';
import { exactRoute } from './exactRoute.js';
import { HttpApiMetrics } from './HttpApiMetrics.js';
import { httpRoute, type RouteSpec } from './httpRoute.js';
import { bodyOf, flagOf, oneOf, queryOf, statusesOf, textOf, wholeNumberOf } from './requestFields.js';

/** What /api/v1/whoami answers: who the token says you are, and what you may call. */
export interface WhoAmI {
  readonly name: string;
  readonly roles: readonly string[];
  /** The RPCs (and so the API endpoints) this principal may call. */
  readonly mayCall: readonly Rpc[];
  /** The server runs without an auth file: everyone is `anonymous` and may do anything. */
  readonly open: boolean;
}

const AS_IS = { toJSON: (message: WhoAmI): unknown => message };

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

/** A request with nothing but the action id in its path, and `{"reason"}` in its body. */
function reasonRequest(request: FastifyRequest): { actionId: string; reason: string } {
  queryOf(request.query, []);
  return { actionId: idOf(request), reason: textOf(bodyOf(request.body, ['reason']), 'reason') };
}

/** The JSON API under /api/v1: the RPCs people call, over the same operations as gRPC. */
export function registerApi(app: FastifyInstance, env: ApiEnv, refuseMethod: (reply: FastifyReply, allow: string) => unknown): void {
  const metrics = new HttpApiMetrics(env.metrics);
  const { actions: ops, control: controlOps } = env.operations;
  const get = <Req, Res>(url: string, spec: RouteSpec<Req, Res>) => exactRoute(app, 'GET', url, httpRoute(env, metrics, spec), refuseMethod);
  const post = <Req, Res>(url: string, spec: RouteSpec<Req, Res>) => exactRoute(app, 'POST', url, httpRoute(env, metrics, spec), refuseMethod);

  get('/api/v1/actions', {
    rpc: 'ListActions',
    name: 'ListActions',
    decode: (request) => {
      const query = queryOf(request.query, ['status', 'node', 'service', 'type', 'page_size', 'page_token']);
      return {
        statuses: statusesOf(query),
        node: oneOf(query, 'node'),
        service: oneOf(query, 'service'),
        actionType: oneOf(query, 'type'),
        // Absent is 0, the default; a whole number out of range is refused by the operation, naming page_size.
        pageSize: wholeNumberOf(query, 'page_size'),
        pageToken: oneOf(query, 'page_token'),
      };
    },
    operation: ops.listActions,
    encode: actions.ListActionsResponse,
  });
  get('/api/v1/actions/:id', {
    rpc: 'GetAction',
    name: 'GetAction',
    decode: (request) => (queryOf(request.query, []), { actionId: idOf(request) }),
    operation: ops.getAction,
    encode: actions.GetActionResponse,
  });
  post('/api/v1/actions/:id/approve', { rpc: 'Approve', name: 'Approve', decode: reasonRequest, operation: ops.approve, encode: actions.ApproveResponse });
  post('/api/v1/actions/:id/reject', { rpc: 'Reject', name: 'Reject', decode: reasonRequest, operation: ops.reject, encode: actions.RejectResponse });
  post('/api/v1/actions/:id/pause', { rpc: 'Pause', name: 'Pause', decode: reasonRequest, operation: controlOps.pause, encode: control.PauseResponse });
  post('/api/v1/actions/:id/resume', { rpc: 'Resume', name: 'Resume', decode: reasonRequest, operation: controlOps.resume, encode: control.ResumeResponse });
  post('/api/v1/actions/:id/terminate', { rpc: 'Terminate', name: 'Terminate', decode: reasonRequest, operation: controlOps.terminate, encode: control.TerminateResponse });
  post('/api/v1/halt', {
    rpc: 'Halt',
    name: 'Halt',
    decode: (request) => {
      queryOf(request.query, []);
      const body = bodyOf(request.body, ['reason', 'terminate_running']);
      return { reason: textOf(body, 'reason'), terminateRunning: flagOf(body, 'terminate_running') };
    },
    operation: controlOps.halt,
    encode: control.HaltResponse,
  });
  post('/api/v1/unhalt', {
    rpc: 'Unhalt',
    name: 'Unhalt',
    decode: (request) => (queryOf(request.query, []), { reason: textOf(bodyOf(request.body, ['reason']), 'reason') }),
    operation: controlOps.unhalt,
    encode: control.UnhaltResponse,
  });
  get('/api/v1/control-state', {
    rpc: 'GetControlState',
    name: 'GetControlState',
    decode: (request) => (queryOf(request.query, []), { actionId: '' }),
    operation: controlOps.getControlState,
    encode: control.GetControlStateResponse,
  });
  get('/api/v1/control-state/:id', {
    rpc: 'GetControlState',
    name: 'GetControlState',
    decode: (request) => (queryOf(request.query, []), { actionId: idOf(request) }),
    operation: controlOps.getControlState,
    encode: control.GetControlStateResponse,
  });
  get('/api/v1/policy', {
    rpc: 'GetPolicy',
    name: 'GetPolicy',
    decode: (request) => (queryOf(request.query, []), {}),
    operation: ops.getPolicy,
    encode: actions.GetPolicyResponse,
  });
  get('/api/v1/whoami', {
    rpc: null,
    name: 'WhoAmI',
    decode: (request) => queryOf(request.query, []),
    operation: (_query, _context, principal: Principal): WhoAmI => ({
      name: principal.name,
      roles: [...principal.roles],
      mayCall: (Object.keys(REQUIRED_ROLE) as Rpc[]).filter((rpc) => mayCall(principal, rpc)),
      open: env.auth.open,
    }),
    encode: AS_IS,
  });
  exactRoute(app, 'GET', '/api/v1/events', eventStreamRoute(env, metrics), refuseMethod);
}
