import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus, DecisionKind, RiskLevel } from '../../src/gen/actiongate/v1/action.js';
import { actionIn, getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const S = ActionStatus;

describe('the action lifecycle end to end', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('runs propose, approve, execute, complete and records it all', async () => {
    const node = uniqueNode();
    const proposed = await t.actions.propose({
      actionType: 'redeploy_service', node, service: 'checkout', confidence: 0.75,
      payload: { version: '1.2.3', replicas: 3, flags: ['canary'], nested: { on: true, none: null } },
      correlationId: 'incident-42', rollbackReference: 'deploy/1.2.2',
    });
    expect(proposed.replayed).toBe(false);
    const action = proposed.action!;
    expect(action.actionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(action).toMatchObject({
      status: S.ACTION_STATUS_PENDING, proposedBy: 'anonymous', node, service: 'checkout', actionType: 'redeploy_service',
      riskLevel: RiskLevel.RISK_LEVEL_GUARDED, confidence: 0.75, approvalRequired: true, autonomousEligible: false,
      correlationId: 'incident-42', rollbackReference: 'deploy/1.2.2', attempt: 0,
      payload: { version: '1.2.3', replicas: 3, flags: ['canary'], nested: { on: true, none: null } },
    });
    expect(action.createdAt).toBeInstanceOf(Date);
    expect(action.decisions).toEqual([]);
    expect(action.lease).toBeUndefined();
    const id = action.actionId;

    const approved = (await t.actions.approve({ actionId: id, reason: 'change window is open' })).action!;
    expect(approved.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(approved.decisions).toHaveLength(1);
    expect(approved.decisions[0]).toMatchObject({ kind: DecisionKind.DECISION_KIND_APPROVE, actor: 'anonymous', reason: 'change window is open' });

    const claimed = await t.actions.execute({ executorId: 'worker-1', actionId: id, leaseTtlSeconds: 60 });
    expect(claimed.action?.status).toBe(S.ACTION_STATUS_RUNNING);
    expect(claimed.attempt).toBe(1);
    expect(claimed.leaseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(claimed.leaseExpiresAt!.getTime()).toBeGreaterThan(claimed.action!.updatedAt!.getTime());
    // The lease id is the executor's alone: the action read back names the executor, never the id.
    expect(claimed.action?.lease).toMatchObject({ leaseId: '', executorId: 'worker-1', attempt: 1 });

    const beat = await t.actions.heartbeat({ actionId: id, leaseId: claimed.leaseId });
    expect(beat.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(claimed.leaseExpiresAt!.getTime());

    const done = (await t.actions.complete({ actionId: id, leaseId: claimed.leaseId, result: { healthy: true, took: 3 } })).action!;
    expect(done.status).toBe(S.ACTION_STATUS_COMPLETED);
    expect(done.result).toEqual({ healthy: true, took: 3 });
    expect(done.lease).toBeUndefined();

    const stored = await getAction(t.actions, id);
    expect(stored.status).toBe(S.ACTION_STATUS_COMPLETED);
    expect(stored.result).toEqual({ healthy: true, took: 3 });
    expect(stored.payload).toEqual(action.payload);
    expect(stored.history.map((e) => [e.from, e.to])).toEqual([
      [S.ACTION_STATUS_UNSPECIFIED, S.ACTION_STATUS_PENDING],
      [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED],
      [S.ACTION_STATUS_APPROVED, S.ACTION_STATUS_RUNNING],
      [S.ACTION_STATUS_RUNNING, S.ACTION_STATUS_COMPLETED],
    ]);
    const sequences = stored.history.map((e) => BigInt(e.sequence));
    for (let i = 1; i < sequences.length; i++) expect(sequences[i]).toBeGreaterThan(sequences[i - 1]!);
    expect(stored.history.every((e) => e.actionId === id && e.node === node && e.actionType === 'redeploy_service')).toBe(true);
    expect(stored.history[0]!.actor).toBe('anonymous');
    expect(stored.history[1]).toMatchObject({ actor: 'anonymous', reason: 'change window is open' });
    expect(stored.history[2]!.attempt).toBe(1);
    const times = stored.history.map((e) => e.at!.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(stored.updatedAt!.getTime()).toBe(times[3]);
  });

  it('records every caller-made transition, claims and outcomes included, as the principal anonymous', async () => {
    // Issue 2: until authentication, every caller is `anonymous`, recorded as such in history.
    const p = await actionIn(t.actions, 'COMPLETED');
    const stored = await getAction(t.actions, p.action.actionId);
    expect(stored.history.map((e) => e.actor)).toEqual(['anonymous', 'anonymous', 'anonymous', 'anonymous']);
  });

  it('records a rejection as a decision with its reason', async () => {
    const { action } = await actionIn(t.actions, 'PENDING');
    const rejected = (await t.actions.reject({ actionId: action.actionId, reason: 'wrong node' })).action!;
    expect(rejected.status).toBe(S.ACTION_STATUS_REJECTED);
    expect(rejected.decisions).toEqual([expect.objectContaining({ kind: DecisionKind.DECISION_KIND_REJECT, actor: 'anonymous', reason: 'wrong node' })]);
    expect(rejected.history.at(-1)).toMatchObject({ from: S.ACTION_STATUS_PENDING, to: S.ACTION_STATUS_REJECTED, reason: 'wrong node' });
  });

  it.each([
    ['collect_diagnostics', 'UNSPECIFIED', 'SAFE'],
    ['rerun_healthcheck', 'UNSPECIFIED', 'SAFE'],
    ['redeploy_service', 'UNSPECIFIED', 'GUARDED'],
    ['rerun_deployment_stage', 'UNSPECIFIED', 'GUARDED'],
    ['collect_diagnostics', 'GUARDED', 'GUARDED'],
    ['rerun_healthcheck', 'DANGEROUS', 'DANGEROUS'],
    ['redeploy_service', 'DANGEROUS', 'DANGEROUS'],
    ['redeploy_service', 'SAFE', 'GUARDED'],
    ['rerun_deployment_stage', 'SAFE', 'GUARDED'],
  ] as const)('%s proposed with risk %s runs at %s (raise, never lower)', async (actionType, requested, expected) => {
    const action = await proposeAction(t.actions, { actionType, riskLevel: RiskLevel[`RISK_LEVEL_${requested}`] });
    expect(RiskLevel[action.riskLevel]).toBe(`RISK_LEVEL_${expected}`);
    expect(action.approvalRequired).toBe(true);
    // Without a policy file nothing is autonomous, and the verdict says why; DANGEROUS needs two people.
    expect(action.autonomousEligible).toBe(false);
    expect(action.policyVerdict).toMatchObject({ mode: 'recommend', wouldApprove: false });
    expect(action.approvalsRequired).toBe(expected === 'DANGEROUS' ? 2 : 1);
    expect(RiskLevel[(await getAction(t.actions, action.actionId)).riskLevel]).toBe(`RISK_LEVEL_${expected}`);
  });

  it('replays an idempotency key: the original comes back and nothing is created', async () => {
    const node = uniqueNode();
    const key = `key-${randomUUID()}`;
    const first = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key, payload: { n: 1 } });
    expect(first.replayed).toBe(false);
    const again = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key, payload: { n: 1 } });
    expect(again.replayed).toBe(true);
    expect(again.action?.actionId).toBe(first.action?.actionId);
    expect(again.action?.payload).toEqual({ n: 1 });
    expect(again.action?.idempotencyKey).toBe(key);
    // Concurrent repeats land in one group commit; still one action.
    const racing = await Promise.all(
      Array.from({ length: 10 }, () => t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key, payload: { n: 1 } })),
    );
    expect(new Set(racing.map((r) => r.action?.actionId))).toEqual(new Set([first.action!.actionId]));
    expect(racing.every((r) => r.replayed)).toBe(true);
    const listed = await t.actions.listActions({ node });
    expect(listed.actions.map((a) => a.actionId)).toEqual([first.action!.actionId]);
    const history = (await getAction(t.actions, first.action!.actionId)).history;
    expect(history).toHaveLength(1);
  });

  it('refuses a repeated idempotency key on a different request with ALREADY_EXISTS naming the original', async () => {
    const node = uniqueNode();
    const key = `key-${randomUUID()}`;
    const first = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key, payload: { n: 1 } });
    const id = first.action!.actionId;
    await expectGrpcError(t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key, payload: { n: 2 } }), status.ALREADY_EXISTS, id, 'payload');
    await expectGrpcError(t.actions.propose({ actionType: 'collect_diagnostics', node, service: 'api', idempotencyKey: key, payload: { n: 1 } }), status.ALREADY_EXISTS, id, 'actionType');
    await expectGrpcError(t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'web', idempotencyKey: key, payload: { n: 1 } }), status.ALREADY_EXISTS, id, 'service');
    // Key order in the payload does not make it another request.
    const same = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key, payload: { n: 1 } });
    expect(same).toMatchObject({ replayed: true, action: { actionId: id } });
    expect((await t.actions.listActions({ node })).actions).toHaveLength(1);
  });

  it('replays the original even after it moved on, and a new key makes a new action', async () => {
    const node = uniqueNode();
    const key = `key-${randomUUID()}`;
    const first = (await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key })).action!;
    await t.actions.approve({ actionId: first.actionId });
    const again = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key });
    expect(again).toMatchObject({ replayed: true, action: { actionId: first.actionId, status: S.ACTION_STATUS_APPROVED } });
    const other = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: `${key}-2` });
    expect(other.replayed).toBe(false);
    expect(other.action?.actionId).not.toBe(first.actionId);
    expect((await t.actions.listActions({ node })).actions).toHaveLength(2);
  });
});

describe('a server with configured action types', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ actionTypes: [{ type: 'drain_node', risk: 'DANGEROUS', description: 'drain every pod from a node' }] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('takes a DANGEROUS type from the catalog, and a proposer cannot lower it', async () => {
    for (const requested of [RiskLevel.RISK_LEVEL_UNSPECIFIED, RiskLevel.RISK_LEVEL_SAFE, RiskLevel.RISK_LEVEL_GUARDED]) {
      const action = await proposeAction(t.actions, { actionType: 'drain_node', riskLevel: requested });
      expect(RiskLevel[action.riskLevel]).toBe('RISK_LEVEL_DANGEROUS');
      expect(action.approvalRequired).toBe(true);
      expect(action.autonomousEligible).toBe(false);
    }
  });

  it('lists the configured type among the known ones when a type is unknown', async () => {
    await expectGrpcError(proposeAction(t.actions, { actionType: 'no_such_type' }), status.INVALID_ARGUMENT, 'action_type', 'drain_node', 'redeploy_service');
  });

  it('finds an action by its id in upper case too', async () => {
    const action = await proposeAction(t.actions);
    expect((await getAction(t.actions, action.actionId.toUpperCase())).actionId).toBe(action.actionId);
  });
});
