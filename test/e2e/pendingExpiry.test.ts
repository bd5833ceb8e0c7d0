import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { actionIn, getAction, proposeAction } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const S = ActionStatus;

describe('PENDING actions expire', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ sweepIntervalMs: 100, defaultPendingTtlSeconds: 3600, maxPendingTtlSeconds: 7200 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sets expires_at from ttl_seconds, or from the server default when it is 0', async () => {
    // expires_at counts from validation, created_at from the commit a moment later.
    const ttlOf = (a: { expiresAt?: Date; createdAt?: Date }) => a.expiresAt!.getTime() - a.createdAt!.getTime();
    const own = await proposeAction(t.actions, { ttlSeconds: 120 });
    expect(ttlOf(own)).toBeGreaterThan(119_000);
    expect(ttlOf(own)).toBeLessThanOrEqual(120_000);
    const defaulted = await proposeAction(t.actions);
    expect(ttlOf(defaulted)).toBeGreaterThan(3_599_000);
    expect(ttlOf(defaulted)).toBeLessThanOrEqual(3_600_000);
    await expectGrpcError(proposeAction(t.actions, { ttlSeconds: 7201 }), status.INVALID_ARGUMENT, 'ttl_seconds');
  });

  it('an undecided action becomes EXPIRED by the system, recorded in history', async () => {
    const { action } = await actionIn(t.actions, 'EXPIRED');
    expect(action.history.map((e) => [e.from, e.to])).toEqual([
      [S.ACTION_STATUS_UNSPECIFIED, S.ACTION_STATUS_PENDING],
      [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_EXPIRED],
    ]);
    expect(action.history[1]!.actor).toBe('system');
    expect(action.history[1]!.at!.getTime()).toBeGreaterThanOrEqual(action.expiresAt!.getTime());
    expect(action.decisions).toEqual([]);
  });

  it('a decided action does not expire', async () => {
    const approved = await proposeAction(t.actions, { ttlSeconds: 1 });
    await t.actions.approve({ actionId: approved.actionId });
    const expired = await actionIn(t.actions, 'EXPIRED');
    // The sweeps that expired the other action have passed over this one.
    expect(expired.action.history[1]!.at!.getTime()).toBeGreaterThan(approved.expiresAt!.getTime());
    expect((await getAction(t.actions, approved.actionId)).status).toBe(S.ACTION_STATUS_APPROVED);
  });
});

describe('a PENDING action past its expires_at that no sweep has reached yet', () => {
  let t: TestServer;
  beforeAll(async () => {
    // The sweeper never runs during this test.
    t = await startTestServer({ sweepIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const pastDeadline = async () => {
    const action = await proposeAction(t.actions, { ttlSeconds: 1 });
    const deadline = action.expiresAt!.getTime();
    await waitFor(() => Date.now(), (now) => now > deadline + 20, { what: 'expires_at to pass' });
    return action;
  };

  it('cannot be approved: an expired proposal is not a standing request', async () => {
    const action = await pastDeadline();
    await expectGrpcError(t.actions.approve({ actionId: action.actionId, reason: 'too late' }), status.FAILED_PRECONDITION, /EXPIRED|expired/);
    const after = await getAction(t.actions, action.actionId);
    expect(after.status).not.toBe(S.ACTION_STATUS_APPROVED);
    expect(after.decisions).toEqual([]);
  });
});
