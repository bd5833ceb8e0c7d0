import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/roles.js';
import { clientsFor, principal, writeAuthFile, type Clients } from '../auth/authFixture.js';
import { uniqueNode } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';

const EXECUTOR_ID = 'runner-1';
const PRINCIPALS = {
  agent: principal('deploy-bot', ['agent']),
  approver: principal('alice', ['approver']),
  executor: principal('runner', ['executor'], [EXECUTOR_ID]),
  operator: principal('oncall', ['operator']),
  viewer: principal('auditor', ['viewer']),
  admin: principal('root', ['admin']),
};
type Caller = keyof typeof PRINCIPALS;
const CALLERS = Object.keys(PRINCIPALS) as Caller[];
const MAX_PAYLOAD_BYTES = 8 * 1024;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

describe('the JSON API', () => {
  let t: TestServer;
  let base: string;
  let agent: Clients;
  let admin: Clients;
  const dir = tempDataDir('actiongate-api-');

  beforeAll(async () => {
    const authFile = writeAuthFile(dir, Object.values(PRINCIPALS));
    t = await startTestServer({ authFile, httpListen: '127.0.0.1:0', maxPayloadBytes: MAX_PAYLOAD_BYTES });
    base = `http://127.0.0.1:${t.server.httpPort}`;
    agent = clientsFor(t.address, PRINCIPALS.agent.token);
    admin = clientsFor(t.address, PRINCIPALS.admin.token);
  });
  afterAll(async () => {
    agent?.close();
    admin?.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? null : JSON.parse(text) };
  }
  const as = (caller: Caller) => PRINCIPALS[caller].token;

  const propose = async (node = uniqueNode('api'), actionType = 'rerun_healthcheck') =>
    (await agent.actions.propose({ actionType, node, service: 'api', payload: { why: 'test' }, confidence: 0.8 })).action!;
  const approved = async () => {
    const action = await propose();
    await admin.actions.approve({ actionId: action.actionId, reason: 'setup' });
    return action;
  };
  const running = async () => {
    const action = await approved();
    await admin.actions.execute({ executorId: EXECUTOR_ID, actionId: action.actionId });
    return action;
  };
  const statusOf = async (actionId: string) => (await call('GET', `/api/v1/actions/${actionId}`, as('viewer'))).body.action.status as string;

  describe('authentication', () => {
    it('answers 401 with a Bearer challenge to a request without a token, or with a token nobody has', async () => {
      for (const token of [null, 'not-a-token-anyone-has']) {
        const answer = await call('GET', '/api/v1/actions', token);
        expect(answer.status).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
        expect(answer.body.error).toBe('unauthenticated');
        expect(answer.body.message).not.toMatch(/at .*\.ts:\d+/);
      }
    });

    it('refuses a write without a token, and changes nothing', async () => {
      const action = await propose();
      const answer = await call('POST', `/api/v1/actions/${action.actionId}/approve`, null, { reason: 'no one' });
      expect(answer.status).toBe(401);
      expect(await statusOf(action.actionId)).toBe('ACTION_STATUS_PENDING');
    });

    it('says who the token belongs to, its roles and what it may call', async () => {
      const approver = await call('GET', '/api/v1/whoami', as('approver'));
      expect(approver.status).toBe(200);
      expect(approver.body).toMatchObject({ name: 'alice', roles: ['approver'], open: false });
      expect(approver.body.mayCall).toContain('Approve');
      expect(approver.body.mayCall).not.toContain('Halt');
      const viewer = await call('GET', '/api/v1/whoami', as('viewer'));
      expect(viewer.body.mayCall).not.toContain('Approve');
      expect(viewer.body.mayCall).toContain('ListActions');
      expect((await call('GET', '/api/v1/whoami', null)).status).toBe(401);
    });
  });

  describe('reading', () => {
    it('lists actions with the gRPC JSON mapping, filtered by status (repeated or comma-separated), node, service and type', async () => {
      const node = uniqueNode('list');
      const pending = await propose(node);
      const guarded = await propose(node, 'redeploy_service');
      await admin.actions.reject({ actionId: guarded.actionId, reason: 'not now' });
      const all = await call('GET', `/api/v1/actions?node=${node}`, as('viewer'));
      expect(all.status).toBe(200);
      expect(all.body.actions.map((a: { actionId: string }) => a.actionId)).toEqual([guarded.actionId, pending.actionId]);
      expect(all.body.actions[0]).toMatchObject({ node, service: 'api', actionType: 'redeploy_service', riskLevel: 'RISK_LEVEL_GUARDED', status: 'ACTION_STATUS_REJECTED' });

      const onlyPending = await call('GET', `/api/v1/actions?node=${node}&status=pending`, as('viewer'));
      expect(onlyPending.body.actions.map((a: { actionId: string }) => a.actionId)).toEqual([pending.actionId]);
      for (const query of ['status=PENDING&status=REJECTED', 'status=pending,ACTION_STATUS_REJECTED']) {
        const both = await call('GET', `/api/v1/actions?node=${node}&${query}`, as('viewer'));
        expect(both.body.actions).toHaveLength(2);
      }
      const byType = await call('GET', `/api/v1/actions?node=${node}&type=rerun_healthcheck&service=api`, as('viewer'));
      expect(byType.body.actions.map((a: { actionId: string }) => a.actionId)).toEqual([pending.actionId]);
      const otherService = await call('GET', `/api/v1/actions?node=${node}&service=db`, as('viewer'));
      expect(otherService.body.actions ?? []).toEqual([]);
    });

    it('pages with page_size and page_token until the token is empty', async () => {
      const node = uniqueNode('page');
      const ids = [];
      for (let i = 0; i < 5; i += 1) ids.push((await propose(node)).actionId);
      const seen: string[] = [];
      let token = '';
      for (let pages = 0; pages < 10; pages += 1) {
        const page = await call('GET', `/api/v1/actions?node=${node}&page_size=2${token === '' ? '' : `&page_token=${encodeURIComponent(token)}`}`, as('viewer'));
        expect(page.status).toBe(200);
        seen.push(...page.body.actions.map((a: { actionId: string }) => a.actionId));
        token = page.body.nextPageToken ?? '';
        if (token === '') break;
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it('gets one action with its history, and its control state with signals and acknowledgements', async () => {
      const action = await running();
      await admin.control.pause(action.actionId, 'look first');
      const one = await call('GET', `/api/v1/actions/${action.actionId}`, as('viewer'));
      expect(one.status).toBe(200);
      expect(one.body.action.history.map((e: { to: string }) => e.to)).toEqual(['ACTION_STATUS_PENDING', 'ACTION_STATUS_APPROVED', 'ACTION_STATUS_RUNNING']);
      expect(one.body.action.history[1]).toMatchObject({ actor: 'root', reason: 'setup' });

      const control = await call('GET', `/api/v1/control-state/${action.actionId}`, as('viewer'));
      expect(control.status).toBe(200);
      expect(control.body.action).toMatchObject({ actionId: action.actionId, executorId: EXECUTOR_ID, controlState: 'CONTROL_STATE_PAUSED' });
      expect(control.body.action.signals).toHaveLength(1);
      expect(control.body.action.signals[0]).toMatchObject({ signal: 'SIGNAL_PAUSE', issuedBy: 'root', reason: 'look first' });
      const global = await call('GET', '/api/v1/control-state', as('viewer'));
      expect(global.status).toBe(200);
      expect(global.body.halt.halted ?? false).toBe(false);
    });

    it('shows the policy in force', async () => {
      const policy = await call('GET', '/api/v1/policy', as('viewer'));
      expect(policy.status).toBe(200);
      expect(policy.body.policy ?? policy.body).toBeTypeOf('object');
      expect(JSON.stringify(policy.body)).toMatch(/approvalsRequired|pendingTtlSeconds/);
    });

    it('answers 404 for an action that does not exist and for an endpoint that does not, and 405 naming the method', async () => {
      const missing = randomUUID();
      for (const path of [`/api/v1/actions/${missing}`, `/api/v1/control-state/${missing}`]) {
        const answer = await call('GET', path, as('viewer'));
        expect(answer.status).toBe(404);
        expect(answer.body.error).toBe('not_found');
        expect(answer.body.message).toContain(missing);
      }
      const approve = await call('POST', `/api/v1/actions/${missing}/approve`, as('approver'), { reason: 'x' });
      expect(approve.status).toBe(404);
      const nowhere = await call('GET', '/api/v1/nothing-here', as('viewer'));
      expect(nowhere.status).toBe(404);
      expect(nowhere.body.error).toBe('not_found');
      const wrongMethod = await call('GET', `/api/v1/actions/${missing}/approve`, as('approver'));
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
    });
  });

  describe('bad input is a 400 naming the field, and changes nothing', () => {
    it.each([
      ['an id that is not a UUID', 'GET', '/api/v1/actions/not-a-uuid', undefined, 'id'],
      ['an unknown status', 'GET', '/api/v1/actions?status=sleeping', undefined, 'status'],
      ['a page_size out of range', 'GET', '/api/v1/actions?page_size=100000', undefined, 'page_size'],
      ['a page_size that is no number', 'GET', '/api/v1/actions?page_size=ten', undefined, 'page_size'],
      ['a page_token the server never gave', 'GET', '/api/v1/actions?page_token=garbage', undefined, 'page_token'],
      ['an unknown query parameter', 'GET', '/api/v1/actions?colour=red', undefined, 'colour'],
      ['an event stream resumed from no sequence', 'GET', '/api/v1/events?after_sequence=minus-one', undefined, 'after_sequence'],
    ])('%s', async (_what, method, path, body, field) => {
      const answer = await call(method, path, as('admin'), body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_argument');
      expect(answer.body.details.field).toBe(field);
      expect(answer.body.message).toContain(field);
    });

    it('refuses a body with an unknown field, a wrong type, or that is no JSON object', async () => {
      const action = await propose();
      const approve = `/api/v1/actions/${action.actionId}/approve`;
      const cases: [unknown, string][] = [
        [{ reason: 'ok', approve: true }, 'approve'],
        [{ reason: 42 }, 'reason'],
        ['[1,2]', 'body'],
        ['{"reason": ', 'body'],
      ];
      for (const [body, field] of cases) {
        const answer = await call('POST', approve, as('approver'), body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.details.field).toBe(field);
      }
      const halt = await call('POST', '/api/v1/halt', as('operator'), { reason: 'x', terminate_running: 'yes' });
      expect(halt.status).toBe(400);
      expect(halt.body.details.field).toBe('terminate_running');
      expect(await statusOf(action.actionId)).toBe('ACTION_STATUS_PENDING');
      expect((await call('GET', '/api/v1/control-state', as('viewer'))).body.halt.halted ?? false).toBe(false);
    });

    it('answers 413 to a body over the payload limit', async () => {
      const action = await propose();
      const answer = await call('POST', `/api/v1/actions/${action.actionId}/reject`, as('approver'), { reason: 'x'.repeat(MAX_PAYLOAD_BYTES * 4) });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toBe('payload_too_large');
      expect(await statusOf(action.actionId)).toBe('ACTION_STATUS_PENDING');
    });

    it('refuses a write from another origin', async () => {
      const action = await propose();
      const answer = await call('POST', `/api/v1/actions/${action.actionId}/approve`, as('approver'), { reason: 'x' }, { origin: 'https://elsewhere.example' });
      expect(answer.status).toBe(403);
      expect(await statusOf(action.actionId)).toBe('ACTION_STATUS_PENDING');
    });
  });

  describe('deciding and controlling', () => {
    it('approves and rejects with a reason, recorded against the caller', async () => {
      const a = await propose();
      const approve = await call('POST', `/api/v1/actions/${a.actionId}/approve`, as('approver'), { reason: 'looks right' });
      expect(approve.status).toBe(200);
      expect(approve.body.action).toMatchObject({ actionId: a.actionId, status: 'ACTION_STATUS_APPROVED' });
      expect(approve.body.action.decisions[0]).toMatchObject({ actor: 'alice', reason: 'looks right' });
      const b = await propose();
      const reject = await call('POST', `/api/v1/actions/${b.actionId}/reject`, as('approver'), { reason: 'wrong node' });
      expect(reject.status).toBe(200);
      expect(reject.body.action.status).toBe('ACTION_STATUS_REJECTED');
      const noReason = await call('POST', `/api/v1/actions/${(await propose()).actionId}/reject`, as('approver'), {});
      expect(noReason.status).toBe(400);
      expect(noReason.body.details.field).toBe('reason');
    });

    it('answers 409 to an illegal transition, naming the action and its status', async () => {
      const action = await propose();
      await admin.actions.reject({ actionId: action.actionId, reason: 'no' });
      const answer = await call('POST', `/api/v1/actions/${action.actionId}/approve`, as('approver'), { reason: 'too late' });
      expect(answer.status).toBe(409);
      expect(answer.body.error).toBe('failed_precondition');
      expect(answer.body.details).toMatchObject({ actionId: action.actionId, status: 'ACTION_STATUS_REJECTED' });
      expect(await statusOf(action.actionId)).toBe('ACTION_STATUS_REJECTED');
      const pause = await call('POST', `/api/v1/actions/${action.actionId}/pause`, as('operator'), { reason: 'x' });
      expect(pause.status).toBe(409);
    });

    it('pauses, resumes and terminates a running action, each a signal for its executor', async () => {
      const action = await running();
      const pause = await call('POST', `/api/v1/actions/${action.actionId}/pause`, as('operator'), { reason: 'look' });
      expect(pause.status).toBe(200);
      expect(pause.body.signal).toMatchObject({ signal: 'SIGNAL_PAUSE', actionId: action.actionId, issuedBy: 'oncall' });
      expect(pause.body.action.controlState).toBe('CONTROL_STATE_PAUSED');
      const resume = await call('POST', `/api/v1/actions/${action.actionId}/resume`, as('operator'), {});
      expect(resume.status).toBe(200);
      expect(resume.body.signal.signal).toBe('SIGNAL_RESUME');
      const terminate = await call('POST', `/api/v1/actions/${action.actionId}/terminate`, as('operator'), { reason: 'enough' });
      expect(terminate.status).toBe(200);
      expect(terminate.body.signal.signal).toBe('SIGNAL_TERMINATE');
    });

    it('halts and unhalts everything, terminating what runs when asked', async () => {
      const action = await running();
      const halt = await call('POST', '/api/v1/halt', as('operator'), { reason: 'incident', terminate_running: true });
      expect(halt.status).toBe(200);
      expect(halt.body.halt).toMatchObject({ halted: true, signal: { signal: 'SIGNAL_HALT', issuedBy: 'oncall', reason: 'incident' } });
      expect(halt.body.affectedActionIds).toContain(action.actionId);
      const refusedWhileHalted = await call('POST', `/api/v1/actions/${(await propose()).actionId}/approve`, as('approver'), { reason: 'x' });
      expect(refusedWhileHalted.status).toBe(409);
      const unhalt = await call('POST', '/api/v1/unhalt', as('operator'), { reason: 'over' });
      expect(unhalt.status).toBe(200);
      expect(unhalt.body.halt.halted ?? false).toBe(false);
      const again = await call('POST', '/api/v1/unhalt', as('operator'), {});
      expect(again.status).toBe(409);
      // No body at all is an empty request.
      const bare = await fetch(`${base}/api/v1/halt`, { method: 'POST', headers: { authorization: `Bearer ${as('operator')}` } });
      expect(bare.status).toBe(200);
      expect((await call('POST', '/api/v1/unhalt', as('operator'), {})).status).toBe(200);
    });
  });

  describe('the roles matrix: each write is allowed for its role and admin, and a 403 that changes nothing for the rest', () => {
    interface Case {
      readonly allowed: readonly Role[];
      prepare(): Promise<string>;
      path(id: string): string;
      body: unknown;
      /** What the world looks like afterwards, to tell a refusal changed nothing. */
      observe(id: string): Promise<unknown>;
    }
    const actionStatus = (id: string) => statusOf(id);
    const controlOf = async (id: string) => (await call('GET', `/api/v1/control-state/${id}`, as('viewer'))).body.action.signals?.length ?? 0;
    const halted = async () => (await call('GET', '/api/v1/control-state', as('viewer'))).body.halt.halted ?? false;
    const cases: Record<string, Case> = {
      approve: { allowed: ['approver'], prepare: async () => (await propose()).actionId, path: (id) => `/api/v1/actions/${id}/approve`, body: { reason: 'ok' }, observe: actionStatus },
      // Proposed by admin: an agent may reject (withdraw) only its own proposals.
      reject: { allowed: ['approver'], prepare: async () => (await admin.actions.propose({ actionType: 'rerun_healthcheck', node: uniqueNode('api'), service: 'api' })).action!.actionId, path: (id) => `/api/v1/actions/${id}/reject`, body: { reason: 'no' }, observe: actionStatus },
      pause: { allowed: ['operator'], prepare: async () => (await running()).actionId, path: (id) => `/api/v1/actions/${id}/pause`, body: {}, observe: controlOf },
      resume: {
        allowed: ['operator'],
        prepare: async () => {
          const { actionId } = await running();
          await admin.control.pause(actionId);
          return actionId;
        },
        path: (id) => `/api/v1/actions/${id}/resume`,
        body: {},
        observe: controlOf,
      },
      terminate: { allowed: ['operator'], prepare: async () => (await running()).actionId, path: (id) => `/api/v1/actions/${id}/terminate`, body: {}, observe: controlOf },
      halt: { allowed: ['operator'], prepare: async () => '', path: () => '/api/v1/halt', body: { reason: 'drill' }, observe: halted },
      unhalt: {
        allowed: ['operator'],
        prepare: async () => {
          await admin.control.halt('drill');
          return '';
        },
        path: () => '/api/v1/unhalt',
        body: {},
        observe: halted,
      },
    };

    it.each(Object.keys(cases))('%s', async (name) => {
      const c = cases[name]!;
      for (const caller of CALLERS) {
        const id = await c.prepare();
        const before = await c.observe(id);
        const answer = await call('POST', c.path(id), as(caller), c.body);
        const allowed = caller === 'admin' || c.allowed.some((role) => PRINCIPALS[caller].roles.includes(role));
        if (allowed) {
          expect(answer.status, `${name} by ${caller}: ${JSON.stringify(answer.body)}`).toBe(200);
          expect(await c.observe(id)).not.toEqual(before);
        } else {
          expect(answer.status, `${name} by ${caller}`).toBe(403);
          expect(answer.body.error).toBe('permission_denied');
          expect(answer.body.message).toContain(PRINCIPALS[caller].name);
          expect(await c.observe(id)).toEqual(before);
        }
        // Leave the server unhalted for the next caller.
        if (await halted()) await admin.control.unhalt('reset');
      }
    });

    it('lets every principal read', async () => {
      const { actionId } = await propose();
      for (const caller of CALLERS) {
        for (const path of ['/api/v1/actions', `/api/v1/actions/${actionId}`, `/api/v1/control-state/${actionId}`, '/api/v1/policy', '/api/v1/whoami']) {
          expect((await call('GET', path, as(caller))).status, `${caller} ${path}`).toBe(200);
        }
      }
    });
  });

  describe('the side port around the API', () => {
    it('serves the inbox at / with a strict Content-Security-Policy, and its script and stylesheet', async () => {
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const html = await page.text();
      expect(html).toContain('src="/inbox.js"');
      expect(html).not.toMatch(/<script>(?!<)/);
      for (const [path, type] of [['/inbox.js', /^text\/javascript/], ['/inbox.css', /^text\/css/]] as const) {
        const asset = await fetch(`${base}${path}`);
        expect(asset.status, path).toBe(200);
        expect(asset.headers.get('content-type')).toMatch(type);
      }
      const api = await call('GET', '/api/v1/whoami', as('viewer'));
      expect(api.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(api.headers.get('cache-control')).toBe('no-store');
    });

    it('counts API requests by RPC and status in /metrics, beside the probes that answer as before', async () => {
      await call('GET', '/api/v1/actions', null);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/actiongate_http_api_requests_total\{rpc="ListActions",code="401"\} [1-9]/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const post = await fetch(`${base}/metrics`, { method: 'POST' });
      expect(post.status).toBe(405);
    });
  });
});

describe('the JSON API without an auth file', () => {
  it('treats a loopback caller as anonymous with every role, and says the server is open', async () => {
    const t = await startTestServer({ httpListen: '127.0.0.1:0' });
    try {
      const base = `http://127.0.0.1:${t.server.httpPort}`;
      const whoami = (await (await fetch(`${base}/api/v1/whoami`)).json()) as { name: string; open: boolean; mayCall: string[] };
      expect(whoami).toMatchObject({ name: 'anonymous', open: true });
      expect(whoami.mayCall).toContain('Halt');
      const { action } = await t.actions.propose({ actionType: 'rerun_healthcheck', node: uniqueNode('open'), service: 'api' });
      const approve = await fetch(`${base}/api/v1/actions/${action!.actionId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(approve.status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
