import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus, DecisionKind, RiskLevel, type Action } from '../../src/gen/actiongate/v1/action.js';
import { getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer } from '../support/testServer.js';
import { startGovernedServer, type GovernedServer } from './governedServer.js';

const S = ActionStatus;
const D = DecisionKind;

/** The decisions an action carries, as [kind, actor]. */
const decisionsOf = (a: Action) => a.decisions.map((d) => [d.kind, d.actor]);
/** Its history, as [from, to, actor, decision]. */
const historyOf = (a: Action) => a.history.map((e) => [e.from, e.to, e.actor, e.decision]);

describe('approvals with an auth file', () => {
  let g: GovernedServer;
  beforeAll(async () => {
    g = await startGovernedServer(null);
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('the proposer cannot approve its own action, which stays as it was; it may reject it', async () => {
    const carol = g.as('carol').actions;
    const proposed = await proposeAction(carol);
    expect(proposed.proposedBy).toBe('carol');

    await expectGrpcError(carol.approve({ actionId: proposed.actionId, reason: 'mine, looks fine' }), status.PERMISSION_DENIED, 'the proposer cannot approve its own action');
    const unchanged = await getAction(carol, proposed.actionId);
    expect(unchanged.status).toBe(S.ACTION_STATUS_PENDING);
    expect(unchanged.decisions).toEqual([]);
    expect(unchanged.history).toHaveLength(1);

    const { action: withdrawn } = await carol.reject({ actionId: proposed.actionId, reason: 'withdrawn by its proposer' });
    expect(withdrawn!.status).toBe(S.ACTION_STATUS_REJECTED);
    expect(decisionsOf(withdrawn!)).toEqual([[D.DECISION_KIND_REJECT, 'carol']]);
  });

  it('an agent without the approver role may withdraw its own proposal, and no one else\'s', async () => {
    const bot = g.as('bot').actions;
    const others = await proposeAction(g.as('carol').actions);
    await expectGrpcError(bot.reject({ actionId: others.actionId, reason: 'not mine' }), status.PERMISSION_DENIED, 'needs the approver role', 'unless it proposed');
    expect((await getAction(bot, others.actionId)).status).toBe(S.ACTION_STATUS_PENDING);

    const own = await proposeAction(bot);
    const { action: withdrawn } = await bot.reject({ actionId: own.actionId, reason: 'withdrawn by its proposer' });
    expect(withdrawn!.status).toBe(S.ACTION_STATUS_REJECTED);
    expect(decisionsOf(withdrawn!)).toEqual([[D.DECISION_KIND_REJECT, 'deploy-bot']]);
    await expectGrpcError(bot.approve({ actionId: others.actionId, reason: 'no' }), status.PERMISSION_DENIED, 'needs the approver role');
  });

  it('a SAFE action needs one approval from someone else', async () => {
    const proposed = await proposeAction(g.as('bot').actions);
    expect(proposed.approvalsRequired).toBe(1);
    const { action } = await g.as('alice').actions.approve({ actionId: proposed.actionId, reason: 'fine' });
    expect(action!.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(decisionsOf(action!)).toEqual([[D.DECISION_KIND_APPROVE, 'alice']]);
  });

  it('a DANGEROUS action needs two distinct approvers; the same one twice is refused naming the earlier approval', async () => {
    const proposed = await proposeAction(g.as('bot').actions, { riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    expect(proposed.riskLevel).toBe(RiskLevel.RISK_LEVEL_DANGEROUS);
    expect(proposed.approvalsRequired).toBe(2);
    const id = proposed.actionId;

    const { action: once } = await g.as('alice').actions.approve({ actionId: id, reason: 'first look' });
    expect(once!.status).toBe(S.ACTION_STATUS_PENDING);
    expect(decisionsOf(once!)).toEqual([[D.DECISION_KIND_APPROVE, 'alice']]);
    // A list leaves history out but still says who has approved.
    const listed = (await g.as('bob').actions.listActions({ node: proposed.node, pageSize: 10 })).actions;
    expect(listed.map((a) => [a.actionId, a.history.length, a.approvedBy])).toEqual([[id, 0, ['alice']]]);

    await expectGrpcError(g.as('alice').actions.approve({ actionId: id, reason: 'again' }), status.FAILED_PRECONDITION, 'alice already approved', 'approval 1 of 2', id);
    // The refused second approval changed nothing.
    const still = await getAction(g.as('bot').actions, id);
    expect(still.status).toBe(S.ACTION_STATUS_PENDING);
    expect(still.history).toHaveLength(2);

    // The proposer cannot be the second pair of eyes either.
    await expectGrpcError(g.as('carol').actions.approve({ actionId: (await proposeAction(g.as('carol').actions, { riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS })).actionId }), status.PERMISSION_DENIED, 'the proposer cannot approve its own action');

    const { action: twice } = await g.as('bob').actions.approve({ actionId: id, reason: 'second look' });
    expect(twice!.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(decisionsOf(twice!)).toEqual([
      [D.DECISION_KIND_APPROVE, 'alice'],
      [D.DECISION_KIND_APPROVE, 'bob'],
    ]);
    // Each approval is a history event carrying its decision.
    expect(historyOf(twice!)).toEqual([
      [S.ACTION_STATUS_UNSPECIFIED, S.ACTION_STATUS_PENDING, 'deploy-bot', D.DECISION_KIND_UNSPECIFIED],
      [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_PENDING, 'alice', D.DECISION_KIND_APPROVE],
      [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED, 'bob', D.DECISION_KIND_APPROVE],
    ]);
    expect(twice!.history[1]!.reason).toBe('first look');
    // A third approval has nothing left to approve.
    await expectGrpcError(g.as('carol').actions.approve({ actionId: id }), status.FAILED_PRECONDITION, 'APPROVED');
  });

  it('one rejection after one approval rejects a DANGEROUS action', async () => {
    const { actionId } = await proposeAction(g.as('bot').actions, { riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    await g.as('alice').actions.approve({ actionId, reason: 'ok by me' });
    const { action } = await g.as('bob').actions.reject({ actionId, reason: 'not during the freeze' });
    expect(action!.status).toBe(S.ACTION_STATUS_REJECTED);
    expect(decisionsOf(action!)).toEqual([
      [D.DECISION_KIND_APPROVE, 'alice'],
      [D.DECISION_KIND_REJECT, 'bob'],
    ]);
    expect(action!.history.at(-1)).toMatchObject({ from: S.ACTION_STATUS_PENDING, to: S.ACTION_STATUS_REJECTED, actor: 'bob', decision: D.DECISION_KIND_REJECT });
    await expectGrpcError(g.as('carol').actions.approve({ actionId }), status.FAILED_PRECONDITION, 'REJECTED');
  });

  it('the same approver racing itself counts once: of many concurrent approvals exactly one lands', async () => {
    const { actionId } = await proposeAction(g.as('bot').actions, { riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    const tries = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => g.as('alice').actions.approve({ actionId, reason: `try ${i}` })));
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    for (const t of tries) {
      if (t.status === 'rejected') expect((t.reason as ServiceError).details).toContain('alice already approved');
    }
    const after = await getAction(g.as('bot').actions, actionId);
    expect(after.status).toBe(S.ACTION_STATUS_PENDING);
    expect(decisionsOf(after)).toEqual([[D.DECISION_KIND_APPROVE, 'alice']]);
    // Two different approvers racing each other both count, and the second makes it APPROVED.
    const { actionId: raced } = await proposeAction(g.as('bot').actions, { riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    await Promise.all([g.as('alice').actions.approve({ actionId: raced }), g.as('bob').actions.approve({ actionId: raced })]);
    const both = await getAction(g.as('bot').actions, raced);
    expect(both.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(both.decisions.map((d) => d.actor).sort()).toEqual(['alice', 'bob']);
  });

  it('decisions are also history events in WatchActions and ListActions leaves them out', async () => {
    const node = uniqueNode('eyes');
    const { actionId } = await proposeAction(g.as('bot').actions, { node, riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    await g.as('alice').actions.approve({ actionId, reason: 'one' });
    await g.as('bob').actions.approve({ actionId, reason: 'two' });
    const events = await new Promise<{ actor: string; decision: DecisionKind }[]>((resolve, reject) => {
      const seen: { actor: string; decision: DecisionKind }[] = [];
      const sub = g.as('bot').actions.watchActions({ node }).subscribe({
        next: ({ event }) => {
          seen.push({ actor: event!.actor, decision: event!.decision });
          if (seen.length === 3) {
            sub.unsubscribe();
            resolve(seen);
          }
        },
        error: reject,
      });
    });
    expect(events).toEqual([
      { actor: 'deploy-bot', decision: D.DECISION_KIND_UNSPECIFIED },
      { actor: 'alice', decision: D.DECISION_KIND_APPROVE },
      { actor: 'bob', decision: D.DECISION_KIND_APPROVE },
    ]);
  });
});

describe('approvals without an auth file', () => {
  it('cannot tell people apart: the one anonymous caller approves, and counts once per approval', async () => {
    const t = await startTestServer();
    try {
      const proposed = await proposeAction(t.actions, { riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
      expect(proposed.proposedBy).toBe('anonymous');
      const { action: once } = await t.actions.approve({ actionId: proposed.actionId });
      expect(once!.status).toBe(S.ACTION_STATUS_PENDING);
      const { action: twice } = await t.actions.approve({ actionId: proposed.actionId });
      expect(twice!.status).toBe(S.ACTION_STATUS_APPROVED);
    } finally {
      await t.stop();
    }
  });
});
