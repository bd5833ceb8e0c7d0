import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, principal, writeAuthFile, type Clients } from '../auth/authFixture.js';
import { uniqueNode } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { openSse, type SseEvent } from './sseClient.js';

const agentPrincipal = principal('deploy-bot', ['agent']);
const viewerPrincipal = principal('auditor', ['viewer']);

interface EventJson {
  sequence: string;
  actionId: string;
  from: string;
  to: string;
  actor: string;
  node: string;
}
const json = (events: SseEvent[]): EventJson[] => events.map((e) => JSON.parse(e.data) as EventJson);

describe('GET /api/v1/events', () => {
  let t: TestServer;
  let base: string;
  let agent: Clients;
  const dir = tempDataDir('actiongate-sse-');
  const auth = { authorization: `Bearer ${viewerPrincipal.token}` };

  beforeAll(async () => {
    const authFile = writeAuthFile(dir, [agentPrincipal, viewerPrincipal]);
    // A short heartbeat, so an idle stream shows one within the test.
    t = await startTestServer({ authFile, httpListen: '127.0.0.1:0', sseHeartbeatMs: 200 });
    base = `http://127.0.0.1:${t.server.httpPort}`;
    agent = clientsFor(t.address, agentPrincipal.token);
  });
  afterAll(async () => {
    agent?.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const propose = async (node: string) => (await agent.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api' })).action!;

  it('streams history events live, and resumes after a dropped connection with exactly the missed ones', async () => {
    const node = uniqueNode('sse');
    const first = await openSse(`${base}/api/v1/events?node=${node}`, auth);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const a = await propose(node);
    const [live] = await first.take(1);
    expect(live!.id).toBe(json([live!])[0]!.sequence);
    expect(json([live!])[0]).toMatchObject({ actionId: a.actionId, to: 'ACTION_STATUS_PENDING', actor: 'deploy-bot', node });
    first.close();

    // Made while no one listens: the reconnect must bring exactly these, in order.
    const missed = [await propose(node), await propose(node), await propose(node)];
    const resumed = await openSse(`${base}/api/v1/events?node=${node}`, { ...auth, 'last-event-id': live!.id! });
    expect(resumed.status).toBe(200);
    const replayed = json(await resumed.take(3));
    expect(replayed.map((e) => e.actionId)).toEqual(missed.map((m) => m.actionId));
    expect(replayed.every((e) => Number(e.sequence) > Number(live!.id))).toBe(true);
    // Then live again, with nothing repeated in between.
    const after = await propose(node);
    const [next] = json(await resumed.take(1));
    expect(next!.actionId).toBe(after.actionId);
    resumed.close();
  });

  it('replays from after_sequence for a client that keeps its own position, and filters by status', async () => {
    const node = uniqueNode('sse');
    const a = await propose(node);
    const b = await propose(node);
    const sequenceOfA = a.history[0]!.sequence;
    const stream = await openSse(`${base}/api/v1/events?node=${node}&status=pending&after_sequence=${sequenceOfA}`, auth);
    const [first] = json(await stream.take(1));
    expect(first!.actionId).toBe(b.actionId);
    stream.close();
  });

  it('keeps an idle stream alive with comments', async () => {
    const response = await fetch(`${base}/api/v1/events?node=${uniqueNode('idle')}`, { headers: auth });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': heartbeat')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before a heartbeat: ${text}`);
      text += value;
    }
    await reader.cancel();
  });

  it('refuses a stream without a valid token as JSON, before streaming', async () => {
    for (const headers of [{}, { authorization: 'Bearer nobody' }] as Record<string, string>[]) {
      const response = await fetch(`${base}/api/v1/events`, { headers });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('unauthenticated');
    }
    const bad = await fetch(`${base}/api/v1/events`, { headers: { ...auth, 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { field: string } }).details.field).toBe('Last-Event-ID');
  });
});

describe('GET /api/v1/events at shutdown', () => {
  it('ends an open stream when the server shuts down, so the shutdown does not wait on it', async () => {
    const t = await startTestServer({ httpListen: '127.0.0.1:0' });
    let stopped = false;
    try {
      const response = await fetch(`http://127.0.0.1:${t.server.httpPort}/api/v1/events`);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      await reader.read();
      const shutdown = t.stop().then(() => (stopped = true));
      // The stream ends (or breaks) rather than hanging; then the shutdown completes.
      for (;;) {
        const { done } = await reader.read().catch(() => ({ done: true }));
        if (done) break;
      }
      await shutdown;
    } finally {
      if (!stopped) await t.stop();
    }
  });
});
