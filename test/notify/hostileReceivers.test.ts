import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { webhookTarget } from '../../src/server/notifier/webhookTarget.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/server/ServerConfig.js';
import { startServer, type RunningServer } from '../../src/server/startServer.js';
import { SqliteActionStore } from '../../src/store/sqlite/SqliteActionStore.js';
import { proposeAction, uniqueNode } from '../support/actionFactory.js';
import { tempDataDir } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { readonly text: string; readonly kind: string; readonly action?: { readonly actionId: string } };
}

/** A local HTTP receiver that answers each POST with `answer`, after recording it. */
interface Receiver {
  readonly url: string;
  readonly origin: string;
  readonly received: Received[];
  answer: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

/** A server of ours on loopback whose log lines are kept, with webhooks configured. */
interface LoggedServer {
  readonly server: RunningServer;
  readonly actions: ActionClient;
  readonly control: ControlClient;
  log(): string;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

describe('webhook notifications against hostile receivers', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function receiver(answer: Receiver['answer'] = (_req, res) => res.writeHead(200).end('ok')): Promise<Receiver> {
    const received: Received[] = [];
    const state = { answer };
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(body) as Received['body'] });
        state.answer(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r: Receiver = {
      url: `${origin}/hooks/T0/B0/path-secret?token=query-secret`,
      origin,
      received,
      get answer() {
        return state.answer;
      },
      set answer(next) {
        state.answer = next;
      },
      close: () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    };
    cleanups.push(() => r.close());
    return r;
  }

  async function serve(overrides: Partial<ServerConfig>, dataDir = tempDataDir()): Promise<LoggedServer> {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const config: ServerConfig = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', dataDir, logLevel: 'debug', shutdownGraceMs: 2000, httpListen: '127.0.0.1:0', ...overrides };
    const server = await startServer(config, SqliteActionStore.open(dataDir), pino({ level: 'debug' }, sink));
    const actions = new ActionClient(server.address);
    const control = new ControlClient(server.address);
    let stopped = false;
    const s: LoggedServer = {
      server, actions, control,
      log: () => logged,
      metrics: async () => (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text(),
      async stop() {
        if (stopped) return;
        stopped = true;
        actions.close();
        control.close();
        await server.shutdown();
      },
    };
    cleanups.push(() => s.stop());
    return s;
  }

  it('follows no redirect: a 307 elsewhere or a 302 to itself is a failed attempt, and the other host gets nothing', async () => {
    const elsewhere = await receiver();
    const hook = await receiver((_req, res) => res.writeHead(307, { location: `${elsewhere.origin}/stolen` }).end());
    const s = await serve({ notifyWebhooks: [hook.url] });
    await proposeAction(s.actions);

    await waitFor(() => hook.received.length, (n) => n >= 2, { what: 'two attempts at the redirecting receiver', timeoutMs: 20_000 });
    hook.answer = (req, res) => res.writeHead(302, { location: req.url }).end();
    await waitFor(() => hook.received.length, (n) => n >= 3, { what: 'an attempt at the self-redirecting receiver', timeoutMs: 20_000 });
    expect(elsewhere.received).toHaveLength(0);
    const metrics = await s.metrics();
    expect(metrics).toContain('actiongate_notifications_undelivered 1');
    expect(metrics).not.toContain('actiongate_notifications_total{outcome="delivered"} 1');
    expect(s.log()).toContain('redirects are not followed');

    // Once the receiver answers, the one message arrives, once.
    hook.answer = (_req, res) => res.writeHead(204).end();
    await waitFor(s.metrics, (m) => m.includes('actiongate_notifications_undelivered 0'), { what: 'the outbox to empty', timeoutMs: 40_000 });
    expect(elsewhere.received).toHaveLength(0);
  });

  it('sends a URL\'s user and password as Basic authorization, and never logs them, the path or the query', async () => {
    const hook = await receiver();
    const url = hook.url.replace('http://', 'http://bot:pass%40word-secret@');
    const s = await serve({ notifyWebhooks: [url] });
    const action = await proposeAction(s.actions);

    await waitFor(() => hook.received.length, (n) => n >= 1, { what: 'the delivery', timeoutMs: 20_000 });
    const [got] = hook.received;
    expect(got!.body.action?.actionId).toBe(action.actionId);
    expect(got!.headers.authorization).toBe(`Basic ${Buffer.from('bot:pass@word-secret').toString('base64')}`);
    expect(got!.url).toBe('/hooks/T0/B0/path-secret?token=query-secret');
    await waitFor(s.metrics, (m) => m.includes('actiongate_notifications_undelivered 0'), { what: 'the outbox to empty' });

    // A failure is logged too, still without any secret.
    hook.answer = (_req, res) => res.writeHead(500).end();
    await proposeAction(s.actions);
    await waitFor(() => hook.received.length, (n) => n >= 2, { what: 'a refused delivery' });
    await waitFor(s.log, (l) => l.includes('webhook delivery failed'), { what: 'the failure in the log' });
    const text = s.log() + (await s.metrics());
    for (const secret of ['word-secret', 'path-secret', 'query-secret', 'bot:']) expect(text).not.toContain(secret);
  });

  it('writes node, service, actor and reason into the Slack text on one line, with Slack\'s &, < and > escaped', async () => {
    const hook = await receiver();
    const s = await serve({ notifyWebhooks: [hook.url] });
    const node = `${uniqueNode('slack')}\u001b[2J\nX`;
    const action = await proposeAction(s.actions, { node, service: 'api<!here>' });
    await s.control.terminate(action.actionId, '<!channel> see <https://evil.example|the inbox> & run\r\n\u001b[31mnow');

    await waitFor(() => hook.received.length, (n) => n >= 2, { what: 'the pending and terminated messages', timeoutMs: 20_000 });
    const texts = hook.received.map((r) => r.body.text);
    for (const text of texts) {
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(text).not.toMatch(/<!|<https/);
    }
    const terminated = hook.received.find((r) => r.body.kind === 'terminated')!;
    expect(terminated.body.text).toContain('api&lt;!here&gt;');
    expect(terminated.body.text).toContain('&lt;!channel&gt; see &lt;https://evil.example|the inbox&gt; &amp; run [31mnow');
    // The structured action keeps the fields exactly as stored.
    expect(terminated.body.action).toMatchObject({ node, service: 'api<!here>' });
  });

  it('counts a receiver that answers 200 and then dribbles its body byte by byte, or sends 100 MB, as delivered, without reading it', async () => {
    const hook = await receiver();
    const s = await serve({ notifyWebhooks: [hook.url] });
    const dribbling = new Set<ServerResponse>();
    cleanups.push(() => { for (const res of dribbling) res.destroy(); });
    hook.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      dribbling.add(res);
      const timer = setInterval(() => res.write('x'), 200);
      res.once('close', () => clearInterval(timer));
    };
    await proposeAction(s.actions);
    await waitFor(s.metrics, (m) => m.includes('actiongate_notifications_total{outcome="delivered"} 1'), { what: 'the dribbled delivery', timeoutMs: 20_000 });

    const chunk = Buffer.alloc(1 << 20, 'y');
    hook.answer = (_req, res) => {
      res.writeHead(200, { 'content-length': String(100 * chunk.length) });
      let sent = 0;
      const more = (): void => {
        while (sent < 100 && res.write(chunk)) sent++;
        if (sent < 100) res.once('drain', more);
        else res.end();
      };
      res.on('error', () => {});
      more();
    };
    await proposeAction(s.actions);
    await waitFor(s.metrics, (m) => m.includes('actiongate_notifications_total{outcome="delivered"} 2'), { what: 'the 100 MB delivery', timeoutMs: 20_000 });
    expect(await s.metrics()).toContain('actiongate_notifications_undelivered 0');
  });

  it('drains 10,000 queued messages in batches while Terminate stays prompt, each delivered once', async () => {
    const COUNT = 10_000;
    const hook = await receiver((_req, res) => res.writeHead(500).end());
    const dataDir = tempDataDir();
    // A first run records one action and its pending event; the outbox is then filled in the file.
    const first = await serve({ notifyWebhooks: [hook.url] }, dataDir);
    const announced = await proposeAction(first.actions);
    await first.stop();
    hook.received.length = 0;
    const db = new Database(join(dataDir, 'actiongate.db'));
    try {
      const sequence = db.prepare('SELECT sequence FROM action_events WHERE action_id = ? ORDER BY sequence LIMIT 1').pluck().get(announced.actionId) as number;
      db.prepare('DELETE FROM notification_outbox').run();
      const insert = db.prepare('INSERT INTO notification_outbox (target, created_at, event_sequence, next_attempt_at) VALUES (?, ?, ?, ?)');
      db.transaction(() => {
        for (let i = 0; i < COUNT; i++) insert.run(webhookTarget(hook.url), Date.now(), sequence, 0);
      })();
    } finally {
      db.close();
    }

    hook.answer = (_req, res) => res.writeHead(200).end('ok');
    const s = await serve({ notifyWebhooks: [hook.url] }, dataDir);
    const running = await proposeAction(s.actions, { node: uniqueNode('kill') });
    await waitFor(() => hook.received.length, (n) => n >= 500, { what: 'the drain to be under way', timeoutMs: 30_000 });
    const asked = Date.now();
    const { action } = await s.control.terminate(running.actionId, 'stop it now');
    // A safety bound, not a speed claim: the kill switch does not queue behind the outbox.
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);

    await waitFor(s.metrics, (m) => m.includes('actiongate_notifications_undelivered 0'), { what: 'the outbox to drain', timeoutMs: 110_000, intervalMs: 500 });
    const forOld = hook.received.filter((r) => r.body.action?.actionId === announced.actionId);
    expect(forOld.length).toBe(COUNT);
  }, 150_000);
});
