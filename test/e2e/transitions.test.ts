import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus, type Action } from '../../src/gen/actiongate/v1/action.js';
import { actionIn, getAction, REACHABLE_STATUSES, statusName, type PreparedAction, type ReachableStatus } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

type Rpc = 'Approve' | 'Reject' | 'Execute' | 'Complete' | 'Fail' | 'Heartbeat';
const RPCS: readonly Rpc[] = ['Approve', 'Reject', 'Execute', 'Complete', 'Fail', 'Heartbeat'];

/** Where each RPC leads from each status a caller can reach; absent means refused. Heartbeat keeps RUNNING. */
const ALLOWED: Record<ReachableStatus, Partial<Record<Rpc, ReachableStatus>>> = {
  PENDING: { Approve: 'APPROVED', Reject: 'REJECTED' },
  APPROVED: { Execute: 'RUNNING' },
  RUNNING: { Complete: 'COMPLETED', Fail: 'FAILED', Heartbeat: 'RUNNING' },
  COMPLETED: {},
  FAILED: {},
  REJECTED: {},
  EXPIRED: {},
};

/** Calls `rpc` on the action; lease-taking calls use its lease, or a lease id it never had. */
async function call(client: ActionClient, rpc: Rpc, prepared: PreparedAction, leaseId = prepared.leaseId || randomUUID()): Promise<Action | undefined> {
  const actionId = prepared.action.actionId;
  switch (rpc) {
    case 'Approve':
      return (await client.approve({ actionId, reason: 'approved in test' })).action;
    case 'Reject':
      return (await client.reject({ actionId, reason: 'rejected in test' })).action;
    case 'Execute':
      return (await client.execute({ executorId: 'racer', actionId })).action;
    case 'Complete':
      return (await client.complete({ actionId, leaseId, result: { done: true } })).action;
    case 'Fail':
      return (await client.fail({ actionId, leaseId, error: 'it broke', retryable: false })).action;
    case 'Heartbeat':
      return (await client.heartbeat({ actionId, leaseId })).action;
  }
}

async function expectUnchanged(client: ActionClient, before: Action): Promise<void> {
  const after = await getAction(client, before.actionId);
  expect(statusName(after.status)).toBe(statusName(before.status));
  expect(after.history).toHaveLength(before.history.length);
  expect(after.updatedAt).toEqual(before.updatedAt);
  expect(after.attempt).toBe(before.attempt);
}

const cases = REACHABLE_STATUSES.flatMap((from) => RPCS.map((rpc) => ({ from, rpc, to: ALLOWED[from][rpc] })));

describe('every transition over gRPC', () => {
  let t: TestServer;
  const prepared = new Map<string, PreparedAction>();
  const key = (from: string, rpc: string): string => `${from}/${rpc}`;

  beforeAll(async () => {
    // A fast sweeper turns the ttl_seconds=1 proposals into EXPIRED actions.
    t = await startTestServer({ sweepIntervalMs: 100 });
    await Promise.all(
      cases.map(async ({ from, rpc }) => prepared.set(key(from, rpc), await actionIn(t.actions, from))),
    );
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('prepares actions in every reachable status', async () => {
    for (const { from, rpc } of cases) {
      const current = await getAction(t.actions, prepared.get(key(from, rpc))!.action.actionId);
      expect(statusName(current.status)).toBe(from);
    }
  });

  it.each(cases.filter((c) => c.to !== undefined))('$rpc moves a $from action to $to', async ({ from, rpc, to }) => {
    const p = prepared.get(key(from, rpc))!;
    const before = await getAction(t.actions, p.action.actionId);
    const answered = await call(t.actions, rpc, p);
    expect(statusName(answered?.status)).toBe(to);
    const after = await getAction(t.actions, p.action.actionId);
    expect(statusName(after.status)).toBe(to);
    if (rpc === 'Heartbeat') {
      // A heartbeat is not a transition: history records nothing.
      expect(after.history).toHaveLength(before.history.length);
      return;
    }
    expect(after.history).toHaveLength(before.history.length + 1);
    const event = after.history[after.history.length - 1]!;
    expect(statusName(event.from)).toBe(from);
    expect(statusName(event.to)).toBe(to);
    expect(BigInt(event.sequence)).toBeGreaterThan(BigInt(before.history[before.history.length - 1]!.sequence));
  });

  it.each(cases.filter((c) => c.to === undefined))(
    '$rpc on a $from action is FAILED_PRECONDITION naming $from and changes nothing',
    async ({ from, rpc }) => {
      const p = prepared.get(key(from, rpc))!;
      const before = await getAction(t.actions, p.action.actionId);
      // A lease id the action never had: the refusal is about the status, not the lease.
      await expectGrpcError(call(t.actions, rpc, p, randomUUID()), status.FAILED_PRECONDITION, from);
      await expectUnchanged(t.actions, before);
    },
  );

  it('Fail with retryable=true moves a RUNNING action back to APPROVED while attempts remain', async () => {
    const p = await actionIn(t.actions, 'RUNNING');
    const answer = await t.actions.fail({ actionId: p.action.actionId, leaseId: p.leaseId, error: 'flaky', retryable: true });
    expect(answer.willRetry).toBe(true);
    expect(answer.action?.status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
    expect(answer.action?.error).toBe('flaky');
    const event = answer.action!.history.at(-1)!;
    expect([event.from, event.to]).toEqual([ActionStatus.ACTION_STATUS_RUNNING, ActionStatus.ACTION_STATUS_APPROVED]);
    const again = await t.actions.execute({ executorId: 'second', actionId: p.action.actionId });
    expect(again.attempt).toBe(2);
    expect(again.action?.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
  });

  it.each(['COMPLETED', 'FAILED'] as const)(
    'Complete, Fail and Heartbeat with the lease a %s action ran under are ABORTED and change nothing',
    async (from) => {
      const p = await actionIn(t.actions, from);
      const before = await getAction(t.actions, p.action.actionId);
      for (const rpc of ['Complete', 'Fail', 'Heartbeat'] as const) {
        await expectGrpcError(call(t.actions, rpc, p), status.ABORTED, from);
      }
      await expectUnchanged(t.actions, before);
    },
  );

  it('Execute on a RUNNING action by a second executor is FAILED_PRECONDITION and keeps the first lease', async () => {
    const p = await actionIn(t.actions, 'RUNNING');
    await expectGrpcError(t.actions.execute({ executorId: 'thief', actionId: p.action.actionId }), status.FAILED_PRECONDITION, 'RUNNING');
    const after = await getAction(t.actions, p.action.actionId);
    expect(after.lease?.executorId).toBe(p.executorId);
    const done = await t.actions.complete({ actionId: p.action.actionId, leaseId: p.leaseId });
    expect(done.action?.status).toBe(ActionStatus.ACTION_STATUS_COMPLETED);
  });
});
