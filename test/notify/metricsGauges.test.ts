import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { actionIn, proposeAction } from '../support/actionFactory.js';
import { startTestServer } from '../support/testServer.js';

/** The value of one sample line of the Prometheus text format, e.g. `actiongate_actions{status="PENDING"}`. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics:\n${text}`);
  return Number(line.slice(name.length + 1));
}

describe('the on-call gauges on /metrics', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('count actions by status, show the halt and the oldest pending action\'s age', async () => {
    const t = await startTestServer({ httpListen: '127.0.0.1:0' });
    cleanups.push(() => t.stop());
    const control = new ControlClient(t.address);
    cleanups.push(() => control.close());
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${t.server.httpPort}/metrics`)).text();

    const empty = await scrape();
    expect(sample(empty, 'actiongate_actions{status="PENDING"}')).toBe(0);
    expect(sample(empty, 'actiongate_oldest_pending_seconds')).toBe(0);
    expect(sample(empty, 'actiongate_halted')).toBe(0);

    const before = Date.now();
    await proposeAction(t.actions);
    await proposeAction(t.actions);
    await actionIn(t.actions, 'APPROVED');
    await actionIn(t.actions, 'COMPLETED');
    await actionIn(t.actions, 'COMPLETED');
    await actionIn(t.actions, 'REJECTED');
    const terminated = await proposeAction(t.actions);
    await control.terminate(terminated.actionId, 'not needed');
    await control.halt('incident', false);

    const text = await scrape();
    const afterSeconds = (Date.now() - before) / 1000;
    expect(sample(text, 'actiongate_actions{status="PENDING"}')).toBe(2);
    expect(sample(text, 'actiongate_actions{status="APPROVED"}')).toBe(1);
    expect(sample(text, 'actiongate_actions{status="COMPLETED"}')).toBe(2);
    expect(sample(text, 'actiongate_actions{status="REJECTED"}')).toBe(1);
    expect(sample(text, 'actiongate_actions{status="TERMINATED"}')).toBe(1);
    expect(sample(text, 'actiongate_actions{status="RUNNING"}')).toBe(0);
    expect(sample(text, 'actiongate_halted')).toBe(1);
    const age = sample(text, 'actiongate_oldest_pending_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(afterSeconds);
    // No webhook configured: nothing is queued.
    expect(sample(text, 'actiongate_notifications_undelivered')).toBe(0);

    await control.unhalt('over');
    expect(sample(await scrape(), 'actiongate_halted')).toBe(0);
  });
});
