import { once } from 'node:events';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, principal, writeAuthFile, type Clients } from '../auth/authFixture.js';
import { uniqueNode } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { rawRequest, type RawAnswer } from './rawHttp.js';

const PRINCIPALS = {
  agent: principal('deploy-bot', ['agent']),
  otherAgent: principal('other-bot', ['agent']),
  approver: principal('alice', ['approver']),
  operator: principal('oncall', ['operator']),
  viewer: principal('auditor', ['viewer']),
};
const MAX_PAYLOAD_BYTES = 8 * 1024;
const TOKENS = Object.values(PRINCIPALS).map((p) => p.token);

/**
 * The JSON API as an adversary meets it: every hostile request ends in a clear
 * status with a JSON refusal naming what is wrong, carries no stack and no token,
 * and changes nothing.
 */
describe('the JSON API under hostile input', () => {
  let t: TestServer;
  let port: number;
  let agent: Clients;
  const dir = tempDataDir('actiongate-hostile-');

  beforeAll(async () => {
    const authFile = writeAuthFile(dir, Object.values(PRINCIPALS));
    t = await startTestServer({ authFile, httpListen: '127.0.0.1:0', maxPayloadBytes: MAX_PAYLOAD_BYTES });
    port = t.server.httpPort!;
    agent = clientsFor(t.address, PRINCIPALS.agent.token);
  });
  afterAll(async () => {
    agent?.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const as = (who: keyof typeof PRINCIPALS) => bearer(PRINCIPALS[who].token);
  const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });
  const propose = async () => (await agent.actions.propose({ actionType: 'rerun_healthcheck', node: uniqueNode('hostile'), service: 'api', payload: { why: 'test' } })).action!;
  const actionOf = async (actionId: string) => JSON.parse((await rawRequest(port, 'GET', `/api/v1/actions/${actionId}`, as('viewer'))).text).action;
  const halted = async () => JSON.parse((await rawRequest(port, 'GET', '/api/v1/control-state', as('viewer'))).text).halt.halted ?? false;

  /** A JSON refusal: the status, the error name, the field it names; never a stack or a token. */
  function expectRefusal(answer: RawAnswer, statusCode: number, error: string, field?: string): void {
    expect(answer.status, answer.text).toBe(statusCode);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as { error: string; message: string; details: Record<string, string> };
    expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message']);
    expect(body.error).toBe(error);
    if (field !== undefined) expect(body.details.field).toBe(field);
    expect(answer.text).not.toMatch(/\bat .*:\d+:\d+|node_modules|\.ts:\d+/);
    for (const token of TOKENS) expect(answer.text).not.toContain(token);
  }

  describe('paging and filters', () => {
    it.each(['-1', '501', 'ten', '1e2', '0x10', '1.5', ' 5', '+5', '99999999999999999999', 'Infinity', 'NaN'])('refuses page_size=%j naming page_size', async (value) => {
      expectRefusal(await rawRequest(port, 'GET', `/api/v1/actions?page_size=${encodeURIComponent(value)}`, as('viewer')), 400, 'invalid_argument', 'page_size');
    });

    it('takes page_size 0 and an empty page_size as the default', async () => {
      for (const query of ['page_size=0', 'page_size=']) {
        const answer = await rawRequest(port, 'GET', `/api/v1/actions?${query}`, as('viewer'));
        expect(answer.status, query).toBe(200);
      }
    });

    it('refuses a page_token the server never gave, whatever its shape', async () => {
      const forged = Buffer.from('v1:not-a-uuid').toString('base64url');
      for (const token of ['garbage', '%00%ff', forged, 'A'.repeat(4000), '../../etc/passwd']) {
        expectRefusal(await rawRequest(port, 'GET', `/api/v1/actions?page_token=${token}`, as('viewer')), 400, 'invalid_argument', 'page_token');
      }
    });

    it('refuses more statuses than a filter holds, and a URL too long to read, then answers as before', async () => {
      const many = Array.from({ length: 500 }, () => 'pending').join(',');
      expectRefusal(await rawRequest(port, 'GET', `/api/v1/actions?status=${many}`, as('viewer')), 400, 'invalid_argument', 'status');
      // 100,000 statuses do not fit in a request line: refused before any of it is parsed.
      const huge = Array.from({ length: 100_000 }, () => 'status=pending').join('&');
      const socket = connect({ host: '127.0.0.1', port });
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      // Node answers 431 as soon as the request line outgrows its limit and closes the connection, while the client still writes.
      socket.on('error', () => {});
      socket.write(`GET /api/v1/actions?${huge} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${PRINCIPALS.viewer.token}\r\n\r\n`);
      await once(socket, 'close');
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect((await rawRequest(port, 'GET', '/api/v1/actions?status=pending', as('viewer'))).status).toBe(200);
    });
  });

  it('refuses query parameters that would poison a prototype, or repeat what is given once', async () => {
    for (const [query, field] of [['__proto__=x', '__proto__'], ['constructor=y', 'constructor'], ['page_size=1&page_size=2', 'page_size'], ['node=a&node=b', 'node']]) {
      expectRefusal(await rawRequest(port, 'GET', `/api/v1/actions?${query}`, as('viewer')), 400, 'invalid_argument', field);
    }
  });

  describe('bodies', () => {
    it('refuses a body nested 1,000 deep naming the field, and changes nothing', async () => {
      const action = await propose();
      const path = `/api/v1/actions/${action.actionId}/reject`;
      const deepArray = `${'['.repeat(1000)}${']'.repeat(1000)}`;
      const deepObject = `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`;
      expectRefusal(await rawRequest(port, 'POST', path, json(as('approver')), `{"reason": ${deepArray}}`), 400, 'invalid_argument', 'reason');
      expectRefusal(await rawRequest(port, 'POST', path, json(as('approver')), `{"reason": ${deepObject}}`), 400, 'invalid_argument', 'reason');
      expectRefusal(await rawRequest(port, 'POST', path, json(as('approver')), `{"reason": "x", "extra": ${deepObject}}`), 400, 'invalid_argument', 'extra');
      expectRefusal(await rawRequest(port, 'POST', path, json(as('approver')), deepArray), 400, 'invalid_argument', 'body');
      expectRefusal(await rawRequest(port, 'POST', path, json(as('approver')), '{"reason":"\\ud800 lone"}'), 400, 'invalid_argument', 'reason');
      const after = await actionOf(action.actionId);
      expect(after.status).toBe('ACTION_STATUS_PENDING');
      expect(after.history).toHaveLength(1);
    });

    it('answers 413 to a 10 MB body, and changes nothing', async () => {
      const action = await propose();
      const body = JSON.stringify({ reason: 'x'.repeat(10 * 1024 * 1024) });
      const answer = await rawRequest(port, 'POST', `/api/v1/actions/${action.actionId}/reject`, json(as('approver')), body).catch((err: Error) => err);
      // The server may answer before it has read the whole body and close the connection under the rest of it.
      if (!(answer instanceof Error)) expectRefusal(answer, 413, 'payload_too_large', 'body');
      else expect((answer as NodeJS.ErrnoException).code).toMatch(/EPIPE|ECONNRESET/);
      expect((await actionOf(action.actionId)).status).toBe('ACTION_STATUS_PENDING');
    });

    it('refuses a body that is not JSON by its Content-Type, and changes nothing', async () => {
      const action = await propose();
      const path = `/api/v1/actions/${action.actionId}/reject`;
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        expectRefusal(await rawRequest(port, 'POST', path, { ...as('approver'), 'content-type': type }, '{"reason":"sneaky"}'), 415, 'unsupported_media_type', 'body');
      }
      expect((await actionOf(action.actionId)).status).toBe('ACTION_STATUS_PENDING');
    });

    it('refuses a field given under both of its names rather than letting one win, and does not halt', async () => {
      const answer = await rawRequest(port, 'POST', '/api/v1/halt', json(as('operator')), '{"reason":"x","terminate_running":false,"terminateRunning":true}');
      expectRefusal(answer, 400, 'invalid_argument', 'terminate_running');
      expect(await halted()).toBe(false);
    });

    it('refuses a body that poisons a prototype, and changes nothing', async () => {
      const action = await propose();
      const path = `/api/v1/actions/${action.actionId}/reject`;
      for (const body of ['{"reason":"x","__proto__":{"admin":true}}', '{"reason":"x","constructor":{"prototype":{"admin":true}}}']) {
        const answer = await rawRequest(port, 'POST', path, json(as('approver')), body);
        expect(answer.status, body).toBe(400);
        expectRefusal(answer, 400, 'invalid_argument');
      }
      expect((await actionOf(action.actionId)).status).toBe('ACTION_STATUS_PENDING');
    });
  });

  describe('methods', () => {
    it('answers OPTIONS and other methods on an endpoint with 405 naming the methods that work', async () => {
      for (const [method, path, allow] of [
        ['OPTIONS', '/api/v1/actions', 'GET, HEAD'],
        ['OPTIONS', '/api/v1/halt', 'POST'],
        ['DELETE', '/api/v1/halt', 'POST'],
        ['PUT', '/api/v1/events', 'GET, HEAD'],
      ] as const) {
        const answer = await rawRequest(port, method, path, as('operator'));
        expectRefusal(answer, 405, 'method_not_allowed');
        expect(answer.headers.allow, `${method} ${path}`).toBe(allow);
      }
      expect(await halted()).toBe(false);
    });

    it('answers a method HTTP does not know with 400, one it knows but no endpoint takes with 404, and keeps serving', async () => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.write(`BREW /api/v1/actions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${'Authorization: Bearer ' + PRINCIPALS.viewer.token}\r\n\r\n`);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      await once(socket, 'close');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      for (const method of ['PROPFIND', 'TRACE']) expectRefusal(await rawRequest(port, method, '/api/v1/actions', as('viewer')), 404, 'not_found');
      expect((await rawRequest(port, 'GET', '/api/v1/whoami', as('viewer'))).status).toBe(200);
    });

    it('answers HEAD on the event stream with its headers and no stream held open: the connection serves the next request', async () => {
      const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const head = await rawRequest(port, 'HEAD', '/api/v1/events', as('viewer'), undefined, keepAlive);
        expect(head.status).toBe(200);
        expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
        const next = await rawRequest(port, 'GET', '/api/v1/whoami', as('viewer'), undefined, keepAlive);
        expect(next.status).toBe(200);
        const metrics = (await rawRequest(port, 'GET', '/metrics')).text;
        expect(metrics).toMatch(/^actiongate_http_event_streams 0$/m);
      } finally {
        keepAlive.destroy();
      }
    });
  });

  describe('static assets', () => {
    it.each([
      '/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/%2e%2e%2f%2e%2e%2fpackage.json',
      '/../../package.json',
      '/inbox.js/../../package.json',
      '/inbox.js%2f..%2f..%2fpackage.json',
      '/..\\..\\package.json',
      '/%252e%252e/package.json',
      '/web/inbox.js',
      '/.%2e/src/server/startServer.ts',
      '/inbox.js%00.html',
    ])('serves nothing outside the inbox for %s', async (path) => {
      const answer = await rawRequest(port, 'GET', path);
      expect([400, 404]).toContain(answer.status);
      expect(answer.text).not.toContain('"dependencies"');
      expect(answer.text).not.toContain('import ');
    });
  });

  describe('credentials', () => {
    it('never echoes a token in a refusal, whether in the header, the query or a body', async () => {
      const secret = 'sEcReT-token-that-nobody-has-0123456789';
      const answers = [
        await rawRequest(port, 'GET', '/api/v1/whoami', bearer(secret)),
        await rawRequest(port, 'GET', `/api/v1/whoami?access_token=${secret}`),
        await rawRequest(port, 'GET', `/api/v1/actions?access_token=${secret}`, as('viewer')),
        await rawRequest(port, 'POST', '/api/v1/halt', json(as('operator')), JSON.stringify({ token: secret })),
        await rawRequest(port, 'GET', '/api/v1/events', { authorization: `Basic ${secret}` }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.text).not.toContain(secret);
        expectRefusal(answer, answer.status, JSON.parse(answer.text).error);
      }
      expect(await halted()).toBe(false);
    });

    it('does not let an agent withdraw another principal\'s action, an approver act as an operator, or a viewer decide, and changes nothing', async () => {
      const action = await propose();
      for (const [who, path] of [
        ['viewer', `/api/v1/actions/${action.actionId}/approve`],
        ['approver', `/api/v1/actions/${action.actionId}/terminate`],
        ['approver', '/api/v1/halt'],
        ['otherAgent', `/api/v1/actions/${action.actionId}/reject`],
        ['otherAgent', `/api/v1/actions/${action.actionId}/approve`],
      ] as const) {
        expectRefusal(await rawRequest(port, 'POST', path, json(as(who)), '{"reason":"mine now"}'), 403, 'permission_denied');
      }
      const after = await actionOf(action.actionId);
      expect(after.status).toBe('ACTION_STATUS_PENDING');
      expect(after.history).toHaveLength(1);
      expect(await halted()).toBe(false);
    });
  });
});

describe('the JSON API in open mode, against a page elsewhere or a rebound name', () => {
  let t: TestServer;
  let port: number;

  beforeAll(async () => {
    t = await startTestServer({ httpListen: '127.0.0.1:0' });
    port = t.server.httpPort!;
  });
  afterAll(async () => {
    await t?.stop();
  });

  // Without an auth file a loopback caller needs no token, so only the origin check stands between a page elsewhere and a halt.
  it.each(['/api/v1/halt', '/%61pi/v1/halt', '/%61%70%69/%76%31/%68%61%6c%74'])('refuses a cross-site POST to %s, however the path is spelled, and does not halt', async (path) => {
    for (const headers of [{ origin: 'https://elsewhere.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const answer = await rawRequest(port, 'POST', path, headers);
      expect(answer.status, `${path} ${JSON.stringify(headers)}: ${answer.text}`).toBe(403);
      expect(JSON.parse(answer.text).error).toBe('permission_denied');
    }
    const state = JSON.parse((await rawRequest(port, 'GET', '/api/v1/control-state')).text);
    expect(state.halt.halted ?? false).toBe(false);
  });

  it('refuses a request whose Host is not a loopback name, read or write, and does not halt', async () => {
    const rebound = `attacker.example:${port}`;
    const read = await rawRequest(port, 'GET', '/api/v1/actions', { host: rebound });
    expect(read.status, read.text).toBe(403);
    expect(JSON.parse(read.text).error).toBe('permission_denied');
    // Same-origin for the browser: the page and the API share the rebound name.
    const write = await rawRequest(port, 'POST', '/api/v1/halt', { host: rebound, origin: `http://${rebound}` });
    expect(write.status, write.text).toBe(403);
    const events = await rawRequest(port, 'HEAD', '/api/v1/events', { host: rebound });
    expect(events.status).toBe(403);
    const state = JSON.parse((await rawRequest(port, 'GET', '/api/v1/control-state')).text);
    expect(state.halt.halted ?? false).toBe(false);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost']) {
      expect((await rawRequest(port, 'GET', '/api/v1/whoami', { host })).status, host).toBe(200);
    }
  });
});
