import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { actionIn, getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const EXECUTORS = 8;
const ACTIONS = 500;

describe('concurrent executors', () => {
  let t: TestServer;
  const clients: ActionClient[] = [];
  beforeAll(async () => {
    t = await startTestServer();
    // Separate clients: separate channels, so the claims really race on the server.
    for (let i = 0; i < EXECUTORS; i++) clients.push(new ActionClient(t.address));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.stop();
  });

  it(`${EXECUTORS} executors racing Execute over ${ACTIONS} approved actions claim each exactly once`, async () => {
    const node = uniqueNode('race');
    const ids: string[] = [];
    for (let batch = 0; batch < ACTIONS; batch += 50) {
      const created = await Promise.all(
        Array.from({ length: Math.min(50, ACTIONS - batch) }, async () => {
          const action = await proposeAction(t.actions, { node });
          await t.actions.approve({ actionId: action.actionId });
          return action.actionId;
        }),
      );
      ids.push(...created);
    }
    // A decoy elsewhere must not be claimed by executors filtering on `node`.
    const decoy = (await actionIn(t.actions, 'APPROVED')).action.actionId;

    const claims = await Promise.all(
      clients.map(async (client, index) => {
        const mine: { actionId: string; leaseId: string; attempt: number; executorId: string }[] = [];
        for (;;) {
          const claimed = await client.execute({ executorId: `executor-${index}`, nodes: [node] });
          if (claimed.action === undefined) return mine;
          expect(claimed.action.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
          mine.push({ actionId: claimed.action.actionId, leaseId: claimed.leaseId, attempt: claimed.attempt, executorId: `executor-${index}` });
        }
      }),
    );
    const all = claims.flat();
    const claimedIds = all.map((c) => c.actionId);
    expect(claimedIds).toHaveLength(ACTIONS);
    expect(new Set(claimedIds).size).toBe(ACTIONS);
    expect(new Set(claimedIds)).toEqual(new Set(ids));
    expect(new Set(all.map((c) => c.leaseId)).size).toBe(ACTIONS);
    expect(all.every((c) => c.attempt === 1)).toBe(true);
    // More than one executor got work: the race really happened.
    expect(claims.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);

    // The store agrees: every action RUNNING once, held by the executor that claimed it (lease ids are never read back).
    const running = new Map<string, string>();
    let pageToken = '';
    do {
      const page = await t.actions.listActions({ node, statuses: [ActionStatus.ACTION_STATUS_RUNNING], pageSize: 500, pageToken });
      for (const a of page.actions) {
        expect(a.lease?.leaseId).toBe('');
        running.set(a.actionId, a.lease!.executorId);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(running.size).toBe(ACTIONS);
    for (const c of all) expect(running.get(c.actionId)).toBe(c.executorId);
    const sample = await getAction(t.actions, claimedIds[ACTIONS - 1]!);
    expect(sample.history.filter((e) => e.to === ActionStatus.ACTION_STATUS_RUNNING)).toHaveLength(1);
    expect((await getAction(t.actions, decoy)).status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
  });

  it('two executors racing Execute for the same action_id: exactly one wins, the other is FAILED_PRECONDITION', async () => {
    for (let round = 0; round < 20; round++) {
      const { action } = await actionIn(t.actions, 'APPROVED');
      const outcomes = await Promise.allSettled([
        clients[0]!.execute({ executorId: 'left', actionId: action.actionId }),
        clients[1]!.execute({ executorId: 'right', actionId: action.actionId }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const err = lost[0]!.reason as ServiceError;
      expect(status[err.code]).toBe('FAILED_PRECONDITION');
      expect(err.details).toContain('RUNNING');
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<ActionClient['execute']>>>).value;
      const stored = await getAction(t.actions, action.actionId);
      expect(stored.lease?.executorId).toBe(winner.action?.lease?.executorId);
      // The winner's lease is the one that holds: only it can complete the action.
      await t.actions.complete({ actionId: action.actionId, leaseId: winner.leaseId });
      expect(stored.attempt).toBe(1);
      expect(stored.history.filter((e) => e.to === ActionStatus.ACTION_STATUS_RUNNING)).toHaveLength(1);
    }
  });

  it('Execute without wait_seconds answers at once with no action when nothing matches', async () => {
    const answer = await t.actions.execute({ executorId: 'idle', nodes: [uniqueNode('empty')] });
    expect(answer.action).toBeUndefined();
    expect(answer.leaseId).toBe('');
  });

  it('Execute without action_id claims the oldest matching approved action first, honouring action_types and nodes', async () => {
    const node = uniqueNode('order');
    const a = await proposeAction(t.actions, { node, actionType: 'redeploy_service' });
    const b = await proposeAction(t.actions, { node, actionType: 'redeploy_service' });
    const c = await proposeAction(t.actions, { node, actionType: 'rerun_healthcheck' });
    const d = await proposeAction(t.actions, { node, actionType: 'redeploy_service' });
    const elsewhere = await proposeAction(t.actions, { actionType: 'redeploy_service' });
    // Approved out of creation order; d stays PENDING.
    for (const action of [elsewhere, c, b, a]) await t.actions.approve({ actionId: action.actionId });
    const next = async (actionTypes: string[]) =>
      (await t.actions.execute({ executorId: 'ordered', nodes: [node], actionTypes })).action?.actionId;
    expect(await next(['redeploy_service'])).toBe(a.actionId);
    expect(await next(['redeploy_service'])).toBe(b.actionId);
    expect(await next(['redeploy_service'])).toBeUndefined();
    expect(await next(['rerun_healthcheck', 'redeploy_service'])).toBe(c.actionId);
    expect((await getAction(t.actions, d.actionId)).status).toBe(ActionStatus.ACTION_STATUS_PENDING);
    expect((await getAction(t.actions, elsewhere.actionId)).status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
  });

  it('a long poll returns the action that gets approved while it waits', async () => {
    const node = uniqueNode('poll');
    const action = await proposeAction(t.actions, { node });
    const poller = clients[2]!;
    const polling = poller.execute({ executorId: 'poller', nodes: [node], waitSeconds: 5 });
    // A write on the same channel after the poll: when it answers, the poll's first claim attempt
    // has run (calls on one connection are dispatched in order, writes commit in order).
    await proposeAction(poller, { node: uniqueNode('other') });
    await t.actions.approve({ actionId: action.actionId, reason: 'go' });
    const claimed = await polling;
    expect(claimed.action?.actionId).toBe(action.actionId);
    expect(claimed.action?.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
    expect(claimed.action?.lease?.executorId).toBe('poller');
  });

  it('several long polls share approvals without claiming one action twice', async () => {
    const node = uniqueNode('polls');
    const actions = await Promise.all(Array.from({ length: 4 }, () => proposeAction(t.actions, { node })));
    const polls = clients.slice(0, 4).map((c, i) => c.execute({ executorId: `poller-${i}`, nodes: [node], waitSeconds: 10 }));
    await Promise.all(clients.slice(0, 4).map((c) => proposeAction(c, { node: uniqueNode('other') })));
    for (const a of actions) await t.actions.approve({ actionId: a.actionId });
    const claimed = await Promise.all(polls);
    expect(new Set(claimed.map((c) => c.action?.actionId))).toEqual(new Set(actions.map((a) => a.actionId)));
  });
});
