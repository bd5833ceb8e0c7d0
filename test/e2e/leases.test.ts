import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus, type Action } from '../../src/gen/actiongate/v1/action.js';
import type { ExecuteResponse } from '../../src/gen/actiongate/v1/action_service.js';
import { actionIn, getAction, statusName } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const S = ActionStatus;

/** An APPROVED action claimed by `executorId` under a lease of `ttl` seconds. */
async function claimWithTtl(client: ActionClient, ttl: number, executorId = 'exec-a'): Promise<ExecuteResponse & { action: Action }> {
  const { action } = await actionIn(client, 'APPROVED');
  const claimed = await client.execute({ executorId, actionId: action.actionId, leaseTtlSeconds: ttl });
  if (claimed.action === undefined) throw new Error('nothing claimed');
  return claimed as ExecuteResponse & { action: Action };
}

const waitForStatus = (client: ActionClient, id: string, wanted: ActionStatus): Promise<Action> =>
  waitFor(() => getAction(client, id), (a) => a.status === wanted, { what: `action ${id} to become ${statusName(wanted)}` });

/** Every lease-taking call with `leaseId` is refused with `code` and the action is left exactly as it was. */
async function expectRefusedLease(client: ActionClient, code: status, actionId: string, leaseId: string, ...mentions: string[]): Promise<void> {
  const before = await getAction(client, actionId);
  await expectGrpcError(client.complete({ actionId, leaseId, result: { late: true } }), code, ...mentions);
  await expectGrpcError(client.fail({ actionId, leaseId, error: 'late', retryable: true }), code, ...mentions);
  await expectGrpcError(client.heartbeat({ actionId, leaseId }), code, ...mentions);
  const after = await getAction(client, actionId);
  expect(statusName(after.status)).toBe(statusName(before.status));
  expect(after.history).toHaveLength(before.history.length);
  expect(after.lease).toEqual(before.lease);
  expect(after.attempt).toBe(before.attempt);
  expect(after.result).toEqual(before.result);
}

const expectStaleLease = (client: ActionClient, actionId: string, leaseId: string, ...mentions: string[]) =>
  expectRefusedLease(client, status.ABORTED, actionId, leaseId, ...mentions);

describe('leases with a sweeper', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ sweepIntervalMs: 100, maxAttempts: 2 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sets the lease for lease_ttl_seconds and a heartbeat for its own lease_ttl_seconds', async () => {
    const claimed = await claimWithTtl(t.actions, 7);
    expect(claimed.leaseExpiresAt!.getTime() - claimed.action.updatedAt!.getTime()).toBe(7000);
    const beat = await t.actions.heartbeat({ actionId: claimed.action.actionId, leaseId: claimed.leaseId, leaseTtlSeconds: 11 });
    expect(beat.leaseExpiresAt!.getTime() - beat.action!.updatedAt!.getTime()).toBe(11_000);
    expect(beat.action?.lease?.leaseExpiresAt).toEqual(beat.leaseExpiresAt);
    // A heartbeat reply carries the action but not its history, which a long action would resend on every beat.
    expect(beat.action?.history).toEqual([]);
    expect(beat.action?.decisions).toEqual([]);
    const defaulted = await claimWithTtl(t.actions, 0);
    expect(defaulted.leaseExpiresAt!.getTime() - defaulted.action.updatedAt!.getTime()).toBe(30_000);
  });

  it('an expired lease returns the action to APPROVED with the attempt counted, then FAILED once attempts are spent', async () => {
    const first = await claimWithTtl(t.actions, 1, 'exec-a');
    const id = first.action.actionId;
    expect(first.attempt).toBe(1);

    const retried = await waitForStatus(t.actions, id, S.ACTION_STATUS_APPROVED);
    expect(retried.attempt).toBe(1);
    expect(retried.lease).toBeUndefined();
    expect(retried.history.at(-1)).toMatchObject({ from: S.ACTION_STATUS_RUNNING, to: S.ACTION_STATUS_APPROVED, actor: 'system', attempt: 1 });
    expect(retried.history.at(-1)!.reason).toMatch(/expired/);

    const second = await t.actions.execute({ executorId: 'exec-b', actionId: id, leaseTtlSeconds: 1 });
    expect(second.attempt).toBe(2);
    expect(second.leaseId).not.toBe(first.leaseId);

    const failed = await waitForStatus(t.actions, id, S.ACTION_STATUS_FAILED);
    expect(failed.attempt).toBe(2);
    expect(failed.error).toMatch(/expired/);
    expect(failed.history.map((e) => e.to)).toEqual([
      S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED, S.ACTION_STATUS_RUNNING,
      S.ACTION_STATUS_APPROVED, S.ACTION_STATUS_RUNNING, S.ACTION_STATUS_FAILED,
    ]);
    expect(failed.history.at(-1)).toMatchObject({ actor: 'system', attempt: 2 });

    // Neither executor can report on it any more. The last holder's lease is ABORTED; the first lease,
    // superseded before the action became FAILED, is refused as an illegal move on a FAILED action.
    await expectStaleLease(t.actions, id, second.leaseId, 'FAILED');
    await expectRefusedLease(t.actions, status.FAILED_PRECONDITION, id, first.leaseId, 'FAILED');
    await expectGrpcError(t.actions.execute({ executorId: 'exec-c', actionId: id }), status.FAILED_PRECONDITION, 'FAILED');
  });

  it('a reported retryable failure on the last attempt is FAILED, not another retry', async () => {
    const first = await claimWithTtl(t.actions, 30);
    const id = first.action.actionId;
    const again = await t.actions.fail({ actionId: id, leaseId: first.leaseId, error: 'flaky', retryable: true });
    expect(again.willRetry).toBe(true);
    const second = await t.actions.execute({ executorId: 'exec-b', actionId: id });
    const last = await t.actions.fail({ actionId: id, leaseId: second.leaseId, error: 'flaky again', retryable: true });
    expect(last.willRetry).toBe(false);
    expect(last.action?.status).toBe(S.ACTION_STATUS_FAILED);
    expect(last.action?.error).toBe('flaky again');
  });

  it('a superseded lease is ABORTED and changes nothing; the new holder completes', async () => {
    const first = await claimWithTtl(t.actions, 1, 'exec-a');
    const id = first.action.actionId;
    await waitForStatus(t.actions, id, S.ACTION_STATUS_APPROVED);
    const second = await t.actions.execute({ executorId: 'exec-b', actionId: id, leaseTtlSeconds: 60 });
    expect(second.action?.status).toBe(S.ACTION_STATUS_RUNNING);

    await expectStaleLease(t.actions, id, first.leaseId);
    const held = await getAction(t.actions, id);
    expect(held.lease).toMatchObject({ leaseId: '', executorId: 'exec-b', attempt: 2 });

    const done = await t.actions.complete({ actionId: id, leaseId: second.leaseId, result: { by: 'b' } });
    expect(done.action?.status).toBe(S.ACTION_STATUS_COMPLETED);
    expect(done.action?.result).toEqual({ by: 'b' });
  });

  it('a stale lease on an action back in APPROVED is ABORTED and does not claim or complete it', async () => {
    const first = await claimWithTtl(t.actions, 1, 'exec-a');
    const id = first.action.actionId;
    await waitForStatus(t.actions, id, S.ACTION_STATUS_APPROVED);
    await expectStaleLease(t.actions, id, first.leaseId, 'APPROVED');
    expect((await getAction(t.actions, id)).status).toBe(S.ACTION_STATUS_APPROVED);
  });

  it('heartbeats keep a lease alive well past its time to live', async () => {
    const claimed = await claimWithTtl(t.actions, 2, 'exec-a');
    const id = claimed.action.actionId;
    const firstExpiry = claimed.leaseExpiresAt!.getTime();
    let lastExpiry = firstExpiry;
    let beats = 0;
    // Beat like an executor would, every 250 ms, until the original lease is long gone and many sweeps have run.
    await waitFor(
      async () => {
        const beat = await t.actions.heartbeat({ actionId: id, leaseId: claimed.leaseId });
        expect(beat.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(lastExpiry);
        expect(beat.action?.status).toBe(S.ACTION_STATUS_RUNNING);
        lastExpiry = beat.leaseExpiresAt!.getTime();
        beats += 1;
        return Date.now();
      },
      (now) => now >= firstExpiry + 1500 && beats >= 5,
      { intervalMs: 250, what: 'the original lease to be long gone under heartbeats' },
    );
    expect(lastExpiry).toBeGreaterThan(firstExpiry);
    const held = await getAction(t.actions, id);
    expect(held.status).toBe(S.ACTION_STATUS_RUNNING);
    expect(held.attempt).toBe(1);
    expect(held.history).toHaveLength(3);
    const done = await t.actions.complete({ actionId: id, leaseId: claimed.leaseId });
    expect(done.action?.status).toBe(S.ACTION_STATUS_COMPLETED);
  });
});

describe('an expired lease the sweeper has not reclaimed yet', () => {
  let t: TestServer;
  beforeAll(async () => {
    // The sweeper never runs during this test, so the action stays RUNNING under an expired lease.
    t = await startTestServer({ sweepIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is ABORTED for Complete, Fail and Heartbeat, and the action is unchanged', async () => {
    const claimed = await claimWithTtl(t.actions, 1);
    const expiry = claimed.leaseExpiresAt!.getTime();
    await waitFor(() => Date.now(), (now) => now > expiry + 20, { what: 'the lease to run out' });
    await expectStaleLease(t.actions, claimed.action.actionId, claimed.leaseId, 'expired');
    expect((await getAction(t.actions, claimed.action.actionId)).status).toBe(S.ACTION_STATUS_RUNNING);
  });
});
