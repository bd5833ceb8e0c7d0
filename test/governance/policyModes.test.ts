import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_ACTION_TYPES } from '../../src/domain/catalog.js';
import { ActionStatus, DecisionKind, RiskLevel, type Action } from '../../src/gen/actiongate/v1/action.js';
import { getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { clientsFor } from '../auth/authFixture.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startGovernedServer, type GovernedServer } from './governedServer.js';

const S = ActionStatus;
const D = DecisionKind;

/** An hours window that starts two hours from now and lasts one: the clock is outside it for the whole test. */
function hoursAwayFromNow(): string {
  const start = (new Date().getUTCHours() + 2) % 24;
  const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
  return `${hh(start)}-${hh((start + 1) % 24)}`;
}

/** The same rules in either mode: the example, a strict GUARDED rule, one outside hours, and a rate-limited one. */
function policyYaml(mode: 'recommend' | 'enforce', maxPerHour = 3): string {
  return `mode: ${mode}
approvals_required: { SAFE: 1, GUARDED: 2, DANGEROUS: 2 }
rules:
  - name: diagnostics
    action_types: [collect_diagnostics, rerun_healthcheck]
    risk: [SAFE]
    nodes: ["*"]
    services: ["web-*"]
    min_confidence: 0.8
  - name: redeploys
    action_types: [redeploy_service]
    risk: [GUARDED]
    services: ["web-*"]
    min_confidence: 0.9
  - name: night-checks
    action_types: [collect_diagnostics]
    services: ["night-*"]
    hours: "${hoursAwayFromNow()}"
  - name: limited
    action_types: [rerun_healthcheck]
    services: ["burst-*"]
    max_per_hour: ${maxPerHour}
`;
}

const decisionsOf = (a: Action) => a.decisions.map((d) => [d.kind, d.actor]);

describe('a policy in enforce mode against a real server', () => {
  let g: GovernedServer;
  beforeAll(async () => {
    g = await startGovernedServer(policyYaml('enforce'));
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('GetPolicy shows the file in force', async () => {
    const shown = await g.as('bot').actions.getPolicy();
    expect(shown).toMatchObject({ mode: 'enforce', approvalsRequiredSafe: 1, approvalsRequiredGuarded: 2, approvalsRequiredDangerous: 2 });
    expect(shown.source).toMatch(/policy\.yaml$/);
    expect(shown.rules.map((r) => r.name)).toEqual(['diagnostics', 'redeploys', 'night-checks', 'limited']);
    expect(shown.rules[0]).toEqual({
      name: 'diagnostics', actionTypes: ['collect_diagnostics', 'rerun_healthcheck'], risk: [RiskLevel.RISK_LEVEL_SAFE], nodes: ['*'], services: ['web-*'],
      minConfidence: 0.8, maxPerHour: 0, hours: '',
    });
    expect(shown.rules[3]).toMatchObject({ name: 'limited', maxPerHour: 3 });
    // Any authenticated principal may read it (and VerifyHistory); a caller without a credential may not.
    expect((await g.as('runner').actions.getPolicy()).mode).toBe('enforce');
    expect((await g.as('runner').actions.verifyHistory()).ok).toBe(true);
    const stranger = clientsFor(g.t.address, undefined);
    try {
      await expectGrpcError(stranger.actions.getPolicy(), status.UNAUTHENTICATED);
      await expectGrpcError(stranger.actions.verifyHistory(), status.UNAUTHENTICATED);
    } finally {
      stranger.close();
    }
  });

  it('a matching proposal is approved at once by policy:<rule>, a Decision and a history event of the proposal', async () => {
    const proposed = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend', confidence: 0.92 });
    expect(proposed.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(proposed.policyVerdict).toEqual({ rule: 'diagnostics', wouldApprove: true, mode: 'enforce', reason: 'matches rule diagnostics' });
    expect(proposed.autonomousEligible).toBe(true);
    expect(decisionsOf(proposed)).toEqual([[D.DECISION_KIND_APPROVE, 'policy:diagnostics']]);
    const read = await getAction(g.as('alice').actions, proposed.actionId);
    expect(read.history.map((e) => [e.from, e.to, e.actor, e.decision])).toEqual([
      [S.ACTION_STATUS_UNSPECIFIED, S.ACTION_STATUS_PENDING, 'deploy-bot', D.DECISION_KIND_UNSPECIFIED],
      [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED, 'policy:diagnostics', D.DECISION_KIND_APPROVE],
    ]);
    // Both events were written by the proposal's one transaction: consecutive in the chain.
    expect(BigInt(read.history[1]!.sequence)).toBe(BigInt(read.history[0]!.sequence) + 1n);
  });

  it('a proposal that falls short stays PENDING with the first reason: low confidence, outside hours, no rule', async () => {
    const low = await proposeAction(g.as('bot').actions, { actionType: 'rerun_healthcheck', service: 'web-api', confidence: 0.55 });
    expect(low.status).toBe(S.ACTION_STATUS_PENDING);
    expect(low.policyVerdict).toEqual({ rule: 'diagnostics', wouldApprove: false, mode: 'enforce', reason: 'confidence 0.55 below 0.8' });
    expect(low.autonomousEligible).toBe(false);
    expect(low.decisions).toEqual([]);

    const late = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'night-batch' });
    expect(late.status).toBe(S.ACTION_STATUS_PENDING);
    expect(late.policyVerdict).toMatchObject({ rule: 'night-checks', wouldApprove: false });
    expect(late.policyVerdict!.reason).toMatch(/^outside hours \d\d:00-\d\d:00 UTC$/);

    const uncovered = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'checkout' });
    expect(uncovered.status).toBe(S.ACTION_STATUS_PENDING);
    expect(uncovered.policyVerdict).toMatchObject({ rule: '', wouldApprove: false, mode: 'enforce' });
    expect(uncovered.policyVerdict!.reason).toContain('no rule covers');

    // A proposer that raises the risk to DANGEROUS takes the action out of every rule's reach.
    const raised = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend', confidence: 1, riskLevel: RiskLevel.RISK_LEVEL_DANGEROUS });
    expect(raised.status).toBe(S.ACTION_STATUS_PENDING);
    expect(raised.approvalsRequired).toBe(2);
    expect(raised.policyVerdict).toMatchObject({ rule: '', wouldApprove: false, reason: 'DANGEROUS actions always need people' });
  });

  it('with GUARDED needing 2 approvals a policy approval counts once, and a person adds the second', async () => {
    const proposed = await proposeAction(g.as('bot').actions, { actionType: 'redeploy_service', service: 'web-frontend', confidence: 0.95 });
    expect(proposed.approvalsRequired).toBe(2);
    expect(proposed.status).toBe(S.ACTION_STATUS_PENDING);
    expect(proposed.policyVerdict).toMatchObject({ rule: 'redeploys', wouldApprove: true });
    expect(decisionsOf(proposed)).toEqual([[D.DECISION_KIND_APPROVE, 'policy:redeploys']]);

    // The second pair of eyes must be a person other than the proposer.
    const own = await proposeAction(g.as('carol').actions, { actionType: 'redeploy_service', service: 'web-api', confidence: 0.95 });
    expect(decisionsOf(own)).toEqual([[D.DECISION_KIND_APPROVE, 'policy:redeploys']]);
    await expectGrpcError(g.as('carol').actions.approve({ actionId: own.actionId }), status.PERMISSION_DENIED, 'the proposer cannot approve its own action');

    const { action } = await g.as('alice').actions.approve({ actionId: proposed.actionId, reason: 'second pair of eyes' });
    expect(action!.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(decisionsOf(action!)).toEqual([
      [D.DECISION_KIND_APPROVE, 'policy:redeploys'],
      [D.DECISION_KIND_APPROVE, 'alice'],
    ]);
  });

  it('a burst for one service: exactly max_per_hour are approved by the policy, the rest wait for people', async () => {
    const BURST = 10;
    const service = `burst-${uniqueNode('svc')}`;
    const burst = await Promise.all(
      Array.from({ length: BURST }, () => proposeAction(g.as('bot').actions, { actionType: 'rerun_healthcheck', service })),
    );
    const approved = burst.filter((a) => a.status === S.ACTION_STATUS_APPROVED);
    const waiting = burst.filter((a) => a.status === S.ACTION_STATUS_PENDING);
    expect(approved).toHaveLength(3);
    expect(waiting).toHaveLength(BURST - 3);
    for (const a of approved) expect(decisionsOf(a)).toEqual([[D.DECISION_KIND_APPROVE, 'policy:limited']]);
    for (const a of waiting) {
      expect(a.decisions).toEqual([]);
      expect(a.policyVerdict).toMatchObject({ rule: 'limited', wouldApprove: false, mode: 'enforce' });
      expect(a.policyVerdict!.reason).toContain('rate limit reached');
    }
    // The limit is per service: another service still gets its own three.
    const other = await proposeAction(g.as('bot').actions, { actionType: 'rerun_healthcheck', service: `${service}-other` });
    expect(other.status).toBe(S.ACTION_STATUS_APPROVED);
    // A person approving a waiting one does not count against the policy's limit, nor is refused by it.
    const { action } = await g.as('alice').actions.approve({ actionId: waiting[0]!.actionId, reason: 'looked at it' });
    expect(action!.status).toBe(S.ACTION_STATUS_APPROVED);
    const after = await proposeAction(g.as('bot').actions, { actionType: 'rerun_healthcheck', service });
    expect(after.status).toBe(S.ACTION_STATUS_PENDING);
    expect(after.policyVerdict!.reason).toContain('rate limit reached');
  });
});

describe('a policy in enforce mode under a halt, with its own TTLs', () => {
  let g: GovernedServer;
  beforeAll(async () => {
    g = await startGovernedServer(`pending_ttl: 90s\napproval_ttl: 30m\n${policyYaml('enforce')}`);
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('proposals wait pending_ttl for people, and a policy approval lasts approval_ttl', async () => {
    const waiting = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'checkout' });
    // The TTL runs from the moment Propose was validated, a little before the row was written.
    const pendingFor = waiting.expiresAt!.getTime() - waiting.createdAt!.getTime();
    expect(pendingFor).toBeLessThanOrEqual(90_000);
    expect(pendingFor).toBeGreaterThan(85_000);
    const approved = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend' });
    expect(approved.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(approved.expiresAt!.getTime() - approved.history.at(-1)!.at!.getTime()).toBe(30 * 60_000);
  });

  it('a halt holds policy approvals: the proposal waits, and the verdict says why', async () => {
    await g.as('oncall').control.halt('incident 7');
    try {
      const held = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend' });
      expect(held.status).toBe(S.ACTION_STATUS_PENDING);
      expect(held.decisions).toEqual([]);
      expect(held.policyVerdict).toMatchObject({ rule: 'diagnostics', wouldApprove: false, mode: 'enforce' });
      expect(held.policyVerdict!.reason).toContain('halted');
      expect(held.autonomousEligible).toBe(false);
    } finally {
      await g.as('oncall').control.unhalt('incident 7 over');
    }
    const after = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend' });
    expect(after.status).toBe(S.ACTION_STATUS_APPROVED);
  });
});

describe('a policy in recommend (shadow) mode against a real server', () => {
  let g: GovernedServer;
  beforeAll(async () => {
    g = await startGovernedServer(policyYaml('recommend'));
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('records what it would do and approves nothing', async () => {
    const would = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend', confidence: 0.92 });
    expect(would.status).toBe(S.ACTION_STATUS_PENDING);
    expect(would.policyVerdict).toEqual({ rule: 'diagnostics', wouldApprove: true, mode: 'recommend', reason: 'matches rule diagnostics' });
    expect(would.autonomousEligible).toBe(true);
    expect(would.decisions).toEqual([]);
    expect(would.history).toHaveLength(1);

    const wouldNot = await proposeAction(g.as('bot').actions, { actionType: 'collect_diagnostics', service: 'web-frontend', confidence: 0.55 });
    expect(wouldNot.policyVerdict).toEqual({ rule: 'diagnostics', wouldApprove: false, mode: 'recommend', reason: 'confidence 0.55 below 0.8' });
    expect(wouldNot.autonomousEligible).toBe(false);

    // The verdict is stored with the action, not only in Propose's answer.
    expect((await getAction(g.as('alice').actions, would.actionId)).policyVerdict).toEqual(would.policyVerdict);
  });

  it('counts its would-approve verdicts against the rate limit, as enforce mode would', async () => {
    const service = `burst-${uniqueNode('shadow')}`;
    const burst = await Promise.all(Array.from({ length: 5 }, () => proposeAction(g.as('bot').actions, { actionType: 'rerun_healthcheck', service })));
    expect(burst.map((a) => a.status)).toEqual(Array(5).fill(S.ACTION_STATUS_PENDING));
    expect(burst.filter((a) => a.policyVerdict!.wouldApprove)).toHaveLength(3);
    for (const a of burst.filter((b) => !b.policyVerdict!.wouldApprove)) expect(a.policyVerdict!.reason).toContain('rate limit reached');
  });

  it('never changes a status: random proposals all stay PENDING, each with its verdict recorded (property)', async () => {
    const request = fc.record({
      actionType: fc.constantFrom(...BUILT_IN_ACTION_TYPES.map((t) => t.type)),
      node: fc.constantFrom('web-1', 'db-1', 'edge.eu-1'),
      service: fc.constantFrom('web-frontend', 'web-api', 'checkout', 'night-batch', 'burst-shared'),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
      riskLevel: fc.constantFrom(RiskLevel.RISK_LEVEL_UNSPECIFIED, RiskLevel.RISK_LEVEL_SAFE, RiskLevel.RISK_LEVEL_GUARDED, RiskLevel.RISK_LEVEL_DANGEROUS),
    });
    const seen = { wouldApprove: 0, wouldNot: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), async (requests) => {
        const proposed = await Promise.all(requests.map((r) => proposeAction(g.as('bot').actions, r)));
        for (const a of proposed) {
          const read = await getAction(g.as('alice').actions, a.actionId);
          for (const action of [a, read]) {
            expect(action.status).toBe(S.ACTION_STATUS_PENDING);
            expect(action.decisions).toEqual([]);
            expect(action.history.map((e) => e.to)).toEqual([S.ACTION_STATUS_PENDING]);
            expect(action.policyVerdict?.mode).toBe('recommend');
            expect(action.autonomousEligible).toBe(action.policyVerdict!.wouldApprove);
          }
          expect(read.policyVerdict).toEqual(a.policyVerdict);
          if (a.policyVerdict!.wouldApprove) {
            seen.wouldApprove += 1;
            expect(['diagnostics', 'redeploys', 'limited']).toContain(a.policyVerdict!.rule);
            expect(a.riskLevel).not.toBe(RiskLevel.RISK_LEVEL_DANGEROUS);
          } else {
            seen.wouldNot += 1;
            expect(a.policyVerdict!.reason).not.toBe('');
          }
        }
      }),
      {
        numRuns: 40,
        // Random requests match a would-approve rule only now and then (one in fifty or so): this pair makes sure both sides run.
        examples: [[[
          { actionType: 'collect_diagnostics', node: 'web-1', service: 'web-frontend', confidence: 0.92, riskLevel: RiskLevel.RISK_LEVEL_SAFE },
          { actionType: 'collect_diagnostics', node: 'web-1', service: 'web-frontend', confidence: 0.55, riskLevel: RiskLevel.RISK_LEVEL_SAFE },
        ]]],
      },
    );
    // Both sides were reached: proposals the policy would approve, and ones it would not.
    expect(seen.wouldApprove).toBeGreaterThan(0);
    expect(seen.wouldNot).toBeGreaterThan(0);
  });
});
