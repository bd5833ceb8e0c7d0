import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus, RiskLevel } from '../../src/gen/actiongate/v1/action.js';
import { principal, type Clients } from '../auth/authFixture.js';
import { uniqueNode } from '../support/actionFactory.js';
import { REPO_ROOT } from '../support/childServer.js';
import { waitFor } from '../support/waitFor.js';
import { startInboxInBrowser, type InboxInBrowser } from './inboxInBrowser.js';

const SCREENSHOT = join(REPO_ROOT, 'docs', 'inbox.png');
const EXECUTOR_ID = 'runner-1';
const PRINCIPALS = {
  agent: principal('deploy-bot', ['agent']),
  approver: principal('alice', ['approver']),
  operator: principal('oncall', ['operator']),
  viewer: principal('auditor', ['viewer']),
  admin: principal('root', ['admin'], [EXECUTOR_ID]),
};

describe('the inbox in a real browser', () => {
  let base: string;
  let context: BrowserContext;
  let agent: Clients;
  let admin: Clients;
  let inbox: InboxInBrowser | undefined;

  beforeAll(async () => {
    inbox = await startInboxInBrowser(PRINCIPALS, 'actiongate-inbox-');
    ({ base, context, agent, admin } = inbox);
  });
  afterAll(async () => {
    await inbox?.stop();
  });

  /** A new tab (its own sessionStorage), signed in with `token`. */
  async function signedIn(token: string, name: string): Promise<Page> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(base);
    await page.locator('#token').fill(token);
    await page.locator('#sign-in button[type=submit]').click();
    await expect.poll(() => page.locator('[data-testid=who-name]').textContent(), { timeout: 15_000 }).toBe(name);
    await page.locator('#live').waitFor({ state: 'visible' });
    expect(problems).toEqual([]);
    return page;
  }
  const card = (page: Page, list: 'pending' | 'running', actionId: string) => page.locator(`#${list} li[data-action-id="${actionId}"]`);

  it('an approver sees a proposal arrive live, approves it, and sees it move; there is no halt button for them', async () => {
    // Something already running and something dangerous waiting, so the page (and its screenshot) shows each part.
    const running = (await agent.actions.propose({ actionType: 'redeploy_service', node: 'web-03', service: 'checkout', confidence: 0.92, payload: { version: '2.14.1' } })).action!;
    await admin.actions.approve({ actionId: running.actionId, reason: 'release window' });
    await admin.actions.execute({ executorId: EXECUTOR_ID, actionId: running.actionId });
    await agent.actions.propose({ actionType: 'redeploy_service', node: 'db-01', service: 'postgres', riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS, confidence: 0.61, payload: { version: '15.8', drain: true } });

    const page = await signedIn(PRINCIPALS.approver.token, 'alice');
    await card(page, 'running', running.actionId).waitFor();
    expect(await page.locator('#halt-open').isVisible()).toBe(false);

    // A fixed node, so the screenshot in the README stays the same from run to run.
    const node = 'web-07';
    const proposed = (await agent.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', confidence: 0.97, payload: { check: 'http', path: '/healthz' } })).action!;
    const arrived = card(page, 'pending', proposed.actionId);
    await arrived.waitFor({ state: 'visible', timeout: 15_000 });
    await expect.poll(() => arrived.textContent()).toContain(node);
    mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });

    await arrived.locator('input').fill('checked the dashboards');
    await arrived.getByRole('button', { name: 'Approve' }).click();
    await arrived.waitFor({ state: 'detached', timeout: 15_000 });
    const approved = await waitFor(() => admin.actions.getAction({ actionId: proposed.actionId }), (r) => r.action?.status === ActionStatus.ACTION_STATUS_APPROVED, { what: 'the approval to be recorded' });
    expect(approved.action!.decisions[0]).toMatchObject({ actor: 'alice', reason: 'checked the dashboards' });

    // Its own page shows the timeline, with who approved it.
    await page.goto(`${base}/#/actions/${proposed.actionId}`);
    await expect.poll(() => page.locator('#timeline').textContent(), { timeout: 15_000 }).toContain('APPROVED by alice: checked the dashboards');
    await page.close();
  });

  it('asks a second confirmation naming node and service before approving a DANGEROUS action', async () => {
    const { action } = await agent.actions.propose({ actionType: 'redeploy_service', node: 'db-02', service: 'ledger', riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    const page = await signedIn(PRINCIPALS.approver.token, 'alice');
    const pending = card(page, 'pending', action!.actionId);
    await pending.getByRole('button', { name: 'Approve', exact: true }).click();
    const confirm = page.locator('.confirm-row');
    await expect.poll(() => confirm.textContent()).toContain('node db-02, service ledger');
    expect((await admin.actions.getAction({ actionId: action!.actionId })).action!.status).toBe(ActionStatus.ACTION_STATUS_PENDING);
    await confirm.getByRole('button', { name: 'Yes, approve on db-02' }).click();
    const recorded = await waitFor(() => admin.actions.getAction({ actionId: action!.actionId }), (r) => r.action!.decisions.length > 0, { what: 'the approval to be recorded' });
    expect(recorded.action!.decisions[0]).toMatchObject({ actor: 'alice' });
    // DANGEROUS needs more than one person: the card stays, counting the approval given.
    const needed = recorded.action!.approvalsRequired;
    await expect.poll(() => pending.textContent(), { timeout: 15_000 }).toContain(`1 of ${needed}`);
    expect(await pending.textContent()).toContain('You approved this');
    expect(await pending.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page.close();
  });

  it('a viewer sees what waits but no approve button', async () => {
    const { action } = await agent.actions.propose({ actionType: 'rerun_healthcheck', node: uniqueNode('view'), service: 'api' });
    const page = await signedIn(PRINCIPALS.viewer.token, 'auditor');
    await card(page, 'pending', action!.actionId).waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    expect(await page.locator('#halt-open').isVisible()).toBe(false);
    await page.close();
  });

  it('an operator halts with confirmation, every page shows the banner, and unhalts', async () => {
    const operator = await signedIn(PRINCIPALS.operator.token, 'oncall');
    const viewer = await signedIn(PRINCIPALS.viewer.token, 'auditor');
    await operator.locator('#halt-open').click();
    await operator.locator('#halt-reason').fill('incident 42');
    await operator.getByRole('button', { name: 'Yes, halt everything' }).click();
    await operator.locator('#halt-banner').waitFor({ state: 'visible', timeout: 15_000 });
    await viewer.locator('#halt-banner').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await viewer.locator('#halt-text').textContent()).toContain('incident 42');
    expect(await viewer.locator('#unhalt').isVisible()).toBe(false);
    await operator.locator('#unhalt').click();
    await viewer.locator('#halt-banner').waitFor({ state: 'hidden', timeout: 15_000 });
    await operator.close();
    await viewer.close();
  });

  it('fits a phone-width window without sideways scrolling', async () => {
    const page = await signedIn(PRINCIPALS.approver.token, 'alice');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#pending li').first().waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.close();
  });
});
