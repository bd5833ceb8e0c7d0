import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_PRINCIPAL } from '../../src/server/http/eventStream.js';
import { WATCH_BUFFER_LIMIT } from '../../src/server/historyFeed.js';
import { clientsFor, principal, writeAuthFile, type Clients } from '../auth/authFixture.js';
import { uniqueNode } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { rawRequest } from './rawHttp.js';

const REVOCATION_BOUND_MS = 5000;
const agentPrincipal = principal('deploy-bot', ['agent']);
const viewerPrincipal = principal('auditor', ['viewer']);
const crowdPrincipal = principal('many-tabs', ['viewer']);
const revokedPrincipal = principal('leaver', ['viewer']);

/** GET /api/v1/events on a raw socket that never reads what the server sends: the slowest reader there is. */
function nonReadingStream(port: number, path: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    // Paused before it connects, the socket never reads: the server's writes pile up in the kernel, then in the server.
    socket.pause();
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
      resolve(socket);
    });
  });
}

describe('GET /api/v1/events under hostile use', () => {
  let t: TestServer;
  let port: number;
  let authFile: string;
  let agent: Clients;
  const dir = tempDataDir('actiongate-hostile-sse-');
  const everyone = [agentPrincipal, viewerPrincipal, crowdPrincipal, revokedPrincipal];

  beforeAll(async () => {
    authFile = writeAuthFile(dir, everyone);
    t = await startTestServer({ authFile, httpListen: '127.0.0.1:0' });
    port = t.server.httpPort!;
    agent = clientsFor(t.address, agentPrincipal.token);
  });
  afterAll(async () => {
    agent?.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const openStreams = async (): Promise<number> => {
    const metrics = (await rawRequest(port, 'GET', '/metrics')).text;
    const line = /^actiongate_http_event_streams (\d+)$/m.exec(metrics);
    if (line === null) throw new Error('/metrics has no actiongate_http_event_streams');
    return Number(line[1]);
  };
  const noStreamsOpen = () => waitFor(openStreams, (n) => n === 0, { what: 'every event stream to be closed' });

  it.each(['-1', '1e3', '0x10', '+5', '5.0', 'yesterday', '99999999999999999999'])('refuses Last-Event-ID %j and after_sequence %j naming the one sent', async (value) => {
    const auth = { authorization: `Bearer ${viewerPrincipal.token}` };
    for (const [headers, query, field] of [
      [{ ...auth, 'last-event-id': value }, '', 'Last-Event-ID'],
      [auth, `?after_sequence=${encodeURIComponent(value)}`, 'after_sequence'],
    ] as const) {
      const answer = await rawRequest(port, 'GET', `/api/v1/events${query}`, headers);
      expect(answer.status, `${field}: ${value}`).toBe(400);
      const body = JSON.parse(answer.text) as { error: string; details: { field: string } };
      expect(body.error).toBe('invalid_argument');
      expect(body.details.field).toBe(field);
    }
  });

  it('refuses a Last-Event-ID or after_sequence past the newest event, which would silently skip every event until then', async () => {
    const { action } = await agent.actions.propose({ actionType: 'rerun_healthcheck', node: uniqueNode('ahead'), service: 'api' });
    const newest = Number(action!.history[0]!.sequence);
    const auth = { authorization: `Bearer ${viewerPrincipal.token}` };
    for (const ahead of [newest + 1000, Number.MAX_SAFE_INTEGER]) {
      const header = await rawRequest(port, 'GET', '/api/v1/events', { ...auth, 'last-event-id': String(ahead) });
      expect(header.status, String(ahead)).toBe(400);
      expect(JSON.parse(header.text).details.field).toBe('Last-Event-ID');
      const query = await rawRequest(port, 'GET', `/api/v1/events?after_sequence=${ahead}`, auth);
      expect(query.status, String(ahead)).toBe(400);
      expect(JSON.parse(query.text).details.field).toBe('after_sequence');
    }
    // The newest itself is a position a client can hold: the stream opens.
    const held = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: { ...auth, 'last-event-id': String(newest) } });
    expect(held.status).toBe(200);
    await held.body!.cancel();
  });

  it('ends an open stream within 5 seconds once its token is revoked, with an event saying why', async () => {
    await noStreamsOpen();
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: { authorization: `Bearer ${revokedPrincipal.token}` } });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toContain(': connected');

    writeAuthFile(dir, everyone.filter((p) => p !== revokedPrincipal));
    const revokedAt = Date.now();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(Date.now() - revokedAt).toBeLessThan(REVOCATION_BOUND_MS);
    expect(text).toMatch(/event: error\ndata: \{"error":"unauthenticated"/);
    expect(text).not.toContain(revokedPrincipal.token);
    await noStreamsOpen();
    const again = await fetch(`http://127.0.0.1:${port}/api/v1/events`, { headers: { authorization: `Bearer ${revokedPrincipal.token}` } });
    expect(again.status).toBe(401);
    await again.body?.cancel();
  });

  it(`refuses a principal its ${MAX_STREAMS_PER_PRINCIPAL + 1}th open stream with 429, others still get theirs`, async () => {
    await noStreamsOpen();
    const url = `http://127.0.0.1:${port}/api/v1/events`;
    const crowd = { authorization: `Bearer ${crowdPrincipal.token}` };
    const held: AbortController[] = [];
    try {
      for (let i = 0; i < MAX_STREAMS_PER_PRINCIPAL; i++) {
        const controller = new AbortController();
        held.push(controller);
        const response = await fetch(url, { headers: crowd, signal: controller.signal });
        expect(response.status).toBe(200);
      }
      const refused = await fetch(url, { headers: crowd });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: string }).error).toBe('resource_exhausted');

      const other = new AbortController();
      held.push(other);
      expect((await fetch(url, { headers: { authorization: `Bearer ${viewerPrincipal.token}` }, signal: other.signal })).status).toBe(200);
      expect(await openStreams()).toBe(MAX_STREAMS_PER_PRINCIPAL + 1);

      // Closing one makes room for one.
      held.shift()!.abort();
      await waitFor(openStreams, (n) => n === MAX_STREAMS_PER_PRINCIPAL, { what: 'the closed stream to be let go' });
      const controller = new AbortController();
      held.push(controller);
      expect((await fetch(url, { headers: crowd, signal: controller.signal })).status).toBe(200);
    } finally {
      for (const controller of held) controller.abort();
    }
    await noStreamsOpen();
  });

  it(`cuts a stream whose reader reads nothing once it is ${WATCH_BUFFER_LIMIT} events behind, rather than holding every later event for it`, async () => {
    await noStreamsOpen();
    // Long names make each event large, so the socket's buffers fill after fewer of them.
    const node = `${uniqueNode('slow')}-${'n'.repeat(200)}`;
    const service = 's'.repeat(250);
    const socket = await nonReadingStream(port, `/api/v1/events?node=${node}`, viewerPrincipal.token);
    try {
      await waitFor(openStreams, (n) => n === 1, { what: 'the stream to open' });
      let proposed = 0;
      // Propose until the server lets go of the stream; a server that buffers without bound never does.
      const limit = WATCH_BUFFER_LIMIT * 6;
      while ((await openStreams()) === 1) {
        if (proposed >= limit) throw new Error(`the stream was still open after ${proposed} events no one read`);
        await Promise.all(Array.from({ length: 250 }, () => agent.actions.propose({ actionType: 'rerun_healthcheck', node, service })));
        proposed += 250;
      }
      expect(proposed).toBeGreaterThan(WATCH_BUFFER_LIMIT);
    } finally {
      socket.destroy();
    }
    await noStreamsOpen();
  }, 180_000);
});
