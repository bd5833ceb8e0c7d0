import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus, type Action } from '../../src/gen/actiongate/v1/action.js';
import { getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { waitFor } from '../support/waitFor.js';
import { EXECUTOR_ID, startGovernedServer, type GovernedServer } from './governedServer.js';

const S = ActionStatus;
const SHORT_APPROVAL = 'approval_ttl: 1s\n';

/** Waits for the clock to reach `at` (ms since the epoch): the event some races are timed against. */
const clockReaches = (at: number) => waitFor(() => Date.now(), (now) => now >= at, { intervalMs: 2, what: `the clock to reach ${new Date(at).toISOString()}` });

async function approvedAction(g: GovernedServer, node = uniqueNode('expiry')): Promise<Action> {
  const { actionId } = await proposeAction(g.as('bot').actions, { node });
  const { action } = await g.as('alice').actions.approve({ actionId, reason: 'go ahead' });
  expect(action!.status).toBe(S.ACTION_STATUS_APPROVED);
  return action!;
}

describe('an approval nobody uses expires', () => {
  let g: GovernedServer;
  beforeAll(async () => {
    g = await startGovernedServer(SHORT_APPROVAL, { sweepIntervalMs: 50 });
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('approval sets expires_at one approval TTL on, and an unclaimed approved action becomes EXPIRED: "approval expired"', async () => {
    const approved = await approvedAction(g);
    const approvedAt = approved.history.at(-1)!.at!.getTime();
    expect(approved.expiresAt!.getTime() - approvedAt).toBe(1000);

    const expired = await waitFor(() => getAction(g.as('bot').actions, approved.actionId), (a) => a.status === S.ACTION_STATUS_EXPIRED, { what: 'the approval to expire' });
    const last = expired.history.at(-1)!;
    expect(last).toMatchObject({ from: S.ACTION_STATUS_APPROVED, to: S.ACTION_STATUS_EXPIRED, actor: 'system', reason: 'approval expired' });
    expect(last.at!.getTime()).toBeGreaterThanOrEqual(approved.expiresAt!.getTime());
    // It never runs: a claim by id is refused.
    await expectGrpcError(g.as('runner').actions.execute({ executorId: EXECUTOR_ID, actionId: approved.actionId }), status.FAILED_PRECONDITION, 'EXPIRED');
  });

  it('an approved action claimed in time does not expire while it runs, nor after it completes', async () => {
    const approved = await approvedAction(g);
    const claimed = await g.as('runner').actions.execute({ executorId: EXECUTOR_ID, actionId: approved.actionId, leaseTtlSeconds: 60 });
    expect(claimed.action!.status).toBe(S.ACTION_STATUS_RUNNING);
    // A later approval expires by the sweep; by then the sweeps have passed over the running one too.
    const later = await approvedAction(g);
    await waitFor(() => getAction(g.as('bot').actions, later.actionId), (a) => a.status === S.ACTION_STATUS_EXPIRED, { what: 'the later approval to expire' });
    expect((await getAction(g.as('bot').actions, approved.actionId)).status).toBe(S.ACTION_STATUS_RUNNING);
    const { action: done } = await g.as('runner').actions.complete({ actionId: approved.actionId, leaseId: claimed.leaseId, result: { ok: true } });
    expect(done!.status).toBe(S.ACTION_STATUS_COMPLETED);
  });

  it('a claim racing the expiry never wins after the deadline: every claim that succeeded was made before expires_at', async () => {
    const ROUNDS = 16;
    const runner = g.as('runner').actions;
    const outcomes = await Promise.all(
      Array.from({ length: ROUNDS }, async (_, round) => {
        const node = uniqueNode('race');
        const approved = await approvedAction(g, node);
        const deadline = approved.expiresAt!.getTime();
        // Start from a little before the deadline to right at it, a different moment each round, and keep claiming past it.
        await clockReaches(deadline - 15 + round);
        const refusals: string[] = [];
        let triedLate = false;
        for (;;) {
          triedLate ||= Date.now() > deadline;
          try {
            // Half the rounds claim the action by id, half ask for the next claimable one on its node.
            const reply = round % 2 === 0
              ? await runner.execute({ executorId: EXECUTOR_ID, actionId: approved.actionId, leaseTtlSeconds: 60 })
              : await runner.execute({ executorId: EXECUTOR_ID, nodes: [node], leaseTtlSeconds: 60 });
            if (reply.action !== undefined) return { approved, claimed: reply.action, refusals, triedLate };
          } catch (err) {
            const e = err as ServiceError;
            refusals.push(`${status[e.code]}: ${e.details}`);
          }
          if (Date.now() > deadline + 200) return { approved, claimed: null, refusals, triedLate };
        }
      }),
    );

    let won = 0;
    for (const { approved, claimed, refusals } of outcomes) {
      for (const refusal of refusals) expect(refusal).toMatch(/^FAILED_PRECONDITION: /);
      const final = await waitFor(
        () => getAction(g.as('bot').actions, approved.actionId),
        (a) => a.status === S.ACTION_STATUS_RUNNING || a.status === S.ACTION_STATUS_EXPIRED,
        { what: `action ${approved.actionId} to settle` },
      );
      const moves = final.history.map((e) => e.to);
      if (claimed !== null) {
        won += 1;
        const claim = final.history.find((e) => e.to === S.ACTION_STATUS_RUNNING)!;
        expect(claim.at!.getTime(), `claimed at ${claim.at!.toISOString()}, approval expired at ${approved.expiresAt!.toISOString()}`).toBeLessThan(approved.expiresAt!.getTime());
        expect(final.status).toBe(S.ACTION_STATUS_RUNNING);
        expect(moves).not.toContain(S.ACTION_STATUS_EXPIRED);
      } else {
        expect(final.status).toBe(S.ACTION_STATUS_EXPIRED);
        expect(final.history.at(-1)!.reason).toBe('approval expired');
        expect(moves).not.toContain(S.ACTION_STATUS_RUNNING);
      }
    }
    // The race was run: claims kept coming after the deadline, and every one of those lost.
    expect(outcomes.filter((o) => o.triedLate)).not.toEqual([]);
    expect(outcomes.filter((o) => o.triedLate && o.claimed !== null && o.claimed.history.at(-1)!.at!.getTime() >= o.approved.expiresAt!.getTime())).toEqual([]);
    expect(won).toBeLessThan(ROUNDS);
  });
});

describe('a lapsed approval that no sweep has reached yet', () => {
  let g: GovernedServer;
  beforeAll(async () => {
    // The sweeper never runs during these tests.
    g = await startGovernedServer(SHORT_APPROVAL, { sweepIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('cannot be claimed by id, and does not stop an executor from claiming the next approved action', async () => {
    const node = uniqueNode('lapsed');
    const lapsed = await approvedAction(g, node);
    await clockReaches(lapsed.expiresAt!.getTime() + 1);
    const fresh = await approvedAction(g, node);
    const runner = g.as('runner').actions;

    await expectGrpcError(runner.execute({ executorId: EXECUTOR_ID, actionId: lapsed.actionId }), status.FAILED_PRECONDITION, 'expired', 'propose it again');
    const next = await runner.execute({ executorId: EXECUTOR_ID, nodes: [node], leaseTtlSeconds: 60 });
    expect(next.action?.actionId).toBe(fresh.actionId);
    // Nothing else on the node is claimable: the lapsed one is passed over, not claimed.
    const none = await runner.execute({ executorId: EXECUTOR_ID, nodes: [node], waitSeconds: 0 });
    expect(none.action).toBeUndefined();
    expect((await getAction(runner, lapsed.actionId)).history.map((e) => e.to)).not.toContain(S.ACTION_STATUS_RUNNING);
  });
});
