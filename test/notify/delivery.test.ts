import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { actionIn, proposeAction } from '../support/actionFactory.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver.js';

const PUBLIC_URL = 'https://actiongate.example.com/ops';

describe('webhook notifications', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(receiver: WebhookReceiver, dataDir?: string): Promise<{ t: TestServer; control: ControlClient; metrics: () => Promise<string> }> {
    const t = await startTestServer({ notifyWebhooks: [receiver.url], publicUrl: PUBLIC_URL, httpListen: '127.0.0.1:0' }, dataDir);
    cleanups.push(() => t.stop());
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${t.server.httpPort}/metrics`)).text();
    return { t, control, metrics };
  }

  async function receiver(mode: 'ok' | 'fail' | 'hang' = 'ok'): Promise<WebhookReceiver> {
    const r = await startWebhookReceiver(mode);
    cleanups.push(() => r.close());
    return r;
  }

  it('retries a receiver that fails its first attempts, and delivers a Slack-style line linking the inbox, with the action', async () => {
    const hook = await receiver();
    hook.failNext(2);
    const { t, metrics } = await setUp(hook);
    const action = await proposeAction(t.actions, { actionType: 'redeploy_service', node: 'web-7', service: 'checkout' });

    await waitFor(() => hook.delivered.length, (n) => n === 1, { what: 'the delivery after two failures', timeoutMs: 30_000 });
    expect(hook.attempts).toHaveLength(3);
    const [message] = hook.delivered;
    expect(message!.kind).toBe('pending');
    expect(message!.text).toContain('redeploy_service on web-7/checkout (GUARDED) waits for approval');
    expect(message!.text).toContain(`${PUBLIC_URL}/#/actions/${action.actionId}`);
    expect(message!.text).not.toContain('\n');
    expect(message!.action).toMatchObject({ actionId: action.actionId, status: 'ACTION_STATUS_PENDING', riskLevel: 'RISK_LEVEL_GUARDED', node: 'web-7' });
    expect(message!.event).toMatchObject({ actionId: action.actionId, to: 'ACTION_STATUS_PENDING' });

    const text = await waitFor(metrics, (m) => m.includes('actiongate_notifications_undelivered 0'), { what: 'the outbox to empty' });
    expect(text).toContain('actiongate_notifications_total{outcome="failed"} 2');
    expect(text).toContain('actiongate_notifications_total{outcome="delivered"} 1');
  });

  it('announces an action waiting, terminated and failed, and a halt; not an approval or a completion', async () => {
    const hook = await receiver();
    const { t, control } = await setUp(hook);
    const terminated = await proposeAction(t.actions);
    await control.terminate(terminated.actionId, 'wrong cluster');
    const failed = await actionIn(t.actions, 'FAILED');
    await actionIn(t.actions, 'COMPLETED');
    await control.halt('incident 42', false);

    // Three proposals waited, then one terminate, one failure and one halt.
    await waitFor(() => hook.delivered.length, (n) => n >= 6, { what: 'six notifications' });
    const kinds = hook.delivered.map((m) => `${m.kind} ${m.action?.actionId ?? '-'}`);
    expect(kinds).toEqual(expect.arrayContaining([
      `pending ${terminated.actionId}`, `terminated ${terminated.actionId}`, `pending ${failed.action.actionId}`, `failed ${failed.action.actionId}`, 'halted -',
    ]));
    expect(hook.delivered.filter((m) => m.kind === 'pending')).toHaveLength(3);
    const termination = hook.delivered.find((m) => m.kind === 'terminated')!;
    expect(termination.text).toContain('was TERMINATED by anonymous: wrong cluster');
    expect(hook.delivered.find((m) => m.kind === 'failed')!.text).toContain('FAILED after 1 attempt: broken');
    const halt = hook.delivered.find((m) => m.kind === 'halted')!;
    expect(halt.text).toContain('actiongate is HALTED by anonymous: incident 42');
    expect(halt.text).toContain(`${PUBLIC_URL}/`);
    expect(halt.signal).toMatchObject({ signal: 'SIGNAL_HALT', reason: 'incident 42' });
    expect(hook.delivered).toHaveLength(6);
  });

  it('never makes a Propose wait: with the receiver holding every request open, proposals still answer', async () => {
    const hook = await receiver('hang');
    const { t } = await setUp(hook);
    await proposeAction(t.actions);
    await waitFor(() => hook.hanging, (n) => n === 1, { what: 'the receiver to hold the first notification' });
    // The notifier is stuck on that request; the calls that cause notifications are not.
    const later = await Promise.all([proposeAction(t.actions), proposeAction(t.actions), proposeAction(t.actions)]);
    expect(later.map((a) => a.status)).toEqual(later.map(() => ActionStatus.ACTION_STATUS_PENDING));
    expect(hook.hanging).toBeGreaterThanOrEqual(1);
    expect(hook.delivered).toHaveLength(0);
  });

  it('writes nothing to the outbox when no webhook is configured', async () => {
    const dataDir = tempDataDir();
    const t = await startTestServer({}, dataDir);
    const control = new ControlClient(t.address);
    const action = await proposeAction(t.actions);
    await control.terminate(action.actionId, 'not needed');
    control.close();
    await t.server.shutdown();
    const db = new Database(join(dataDir, 'actiongate.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM notification_outbox').pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM action_events').pluck().get()).toBe(2);
    } finally {
      db.close();
      await t.stop();
    }
  });
});
