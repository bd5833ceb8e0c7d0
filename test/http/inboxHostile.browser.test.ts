import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principal, type Clients } from '../auth/authFixture.js';
import type { ServeProcess } from '../auth/serveProcess.js';
import { startInboxInBrowser, type InboxInBrowser } from './inboxInBrowser.js';

const PRINCIPALS = {
  agent: principal('deploy-bot', ['agent']),
  approver: principal('alice', ['approver']),
  admin: principal('root', ['admin']),
};

/** Markup an agent or a person might put in a field; each would set window.__xss if the page ran it. */
const hostile = (n: number) => `<img src=x onerror=window.__xss=${n}>`;

describe('the inbox against hostile action fields, in a real browser', () => {
  let server: ServeProcess;
  let base: string;
  let context: BrowserContext;
  let agent: Clients;
  let admin: Clients;
  let inbox: InboxInBrowser | undefined;

  beforeAll(async () => {
    inbox = await startInboxInBrowser(PRINCIPALS, 'actiongate-inbox-hostile-');
    ({ server, base, context, agent, admin } = inbox);
  });
  afterAll(async () => {
    await inbox?.stop();
  });

  it('shows markup in node, service, payload, reasons and the halt as text; no script runs, and the token is in no URL and no log line', async () => {
    const { action } = await agent.actions.propose({
      actionType: 'rerun_healthcheck',
      node: hostile(1),
      service: `</dd><script>window.__xss=2</script>`,
      payload: { note: hostile(3), [hostile(4)]: 'key' },
      correlationId: hostile(5),
    });
    const { action: rejected } = await agent.actions.propose({ actionType: 'rerun_healthcheck', node: 'web-01', service: 'api' });
    await admin.actions.reject({ actionId: rejected!.actionId, reason: hostile(6) });

    const page: Page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    await page.goto(base);
    await page.locator('#token').fill(PRINCIPALS.approver.token);
    await page.locator('#sign-in button[type=submit]').click();
    const pending = page.locator(`#pending li[data-action-id="${action!.actionId}"]`);
    await pending.waitFor({ state: 'visible', timeout: 15_000 });
    const cardText = await pending.textContent();
    expect(cardText).toContain(hostile(1));
    expect(cardText).toContain('<script>window.__xss=2</script>');
    expect(cardText).toContain(hostile(3));
    expect(await pending.locator('img, script').count()).toBe(0);

    await admin.control.halt(hostile(7));
    await page.locator('#halt-banner').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await page.locator('#halt-text').textContent()).toContain(hostile(7));
    expect(await page.locator('#halt-banner img').count()).toBe(0);
    await admin.control.unhalt('done');

    await page.goto(`${base}/#/actions/${rejected!.actionId}`);
    await expect.poll(() => page.locator('#timeline').textContent(), { timeout: 15_000 }).toContain(hostile(6));
    expect(await page.locator('#timeline img').count()).toBe(0);

    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('body img').count()).toBe(0);
    for (const url of urls) expect(url).not.toContain(PRINCIPALS.approver.token);
    expect(page.url()).not.toContain(PRINCIPALS.approver.token);
    await page.close();
    for (const p of Object.values(PRINCIPALS)) expect(server.output()).not.toContain(p.token);
  });
});
