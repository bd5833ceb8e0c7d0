import { describe, expect, it } from 'vitest';
import type { Action, Lease } from '../../src/domain/action.js';
import { ACTION_STATUSES, isTerminal, type ActionStatus } from '../../src/domain/actionStatus.js';
import { NOT_HALTED } from '../../src/domain/controlSignal.js';
import { ConflictError, IllegalTransitionError, LeaseLostError, PermissionDeniedError, PreconditionError } from '../../src/domain/errors.js';
import * as lifecycle from '../../src/domain/lifecycle.js';
import { canMove, transition, TRANSITIONS, type Move } from '../../src/domain/transitions.js';

/** The lifecycle as ARCHITECTURE.md draws it, written out independently of the code under test. */
const EXPECTED: Record<Move, Partial<Record<ActionStatus, ActionStatus>>> = {
  approve: { PENDING: 'APPROVED' },
  endorse: { PENDING: 'PENDING' },
  reject: { PENDING: 'REJECTED' },
  expire: { PENDING: 'EXPIRED', APPROVED: 'EXPIRED' },
  claim: { APPROVED: 'RUNNING' },
  complete: { RUNNING: 'COMPLETED' },
  fail: { RUNNING: 'FAILED' },
  retry: { RUNNING: 'APPROVED' },
  terminate: { PENDING: 'TERMINATED', APPROVED: 'TERMINATED', RUNNING: 'TERMINATED' },
};
const MOVES = Object.keys(EXPECTED) as Move[];
const ID = '01890000-0000-7000-8000-000000000001';
const ALICE = { actor: 'alice', identified: true };
const BOB = { actor: 'bob', identified: true };

const pairs = ACTION_STATUSES.flatMap((status) => MOVES.map((move) => ({ status, move, to: EXPECTED[move][status] })));

describe('the transition table', () => {
  it('knows exactly the moves of the lifecycle', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...MOVES].sort());
    expect([...ACTION_STATUSES].sort()).toEqual(
      ['APPROVED', 'COMPLETED', 'EXPIRED', 'FAILED', 'PENDING', 'REJECTED', 'RUNNING', 'TERMINATED'],
    );
  });

  it.each(pairs.filter((p) => p.to !== undefined))('allows $move from $status, leading to $to', ({ status, move, to }) => {
    expect(canMove(status, move)).toBe(true);
    expect(transition(ID, status, move)).toBe(to);
  });

  it.each(pairs.filter((p) => p.to === undefined))('refuses $move from $status, naming $status', ({ status, move }) => {
    expect(canMove(status, move)).toBe(false);
    let thrown: unknown;
    try {
      transition(ID, status, move);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(IllegalTransitionError);
    const err = thrown as IllegalTransitionError;
    expect(err.current).toBe(status);
    expect(err.move).toBe(move);
    expect(err.actionId).toBe(ID);
    expect(err.message).toContain(status);
    expect(err.message).toContain(ID);
    // It says what would have worked: the statuses the move starts from.
    expect(err.message).toContain(`only ${Object.keys(EXPECTED[move]).join(', ').replace(/, ([A-Z]+)$/, ' or $1')} actions can be`);
  });

  it('words the refusal as the CLI and the inbox show it', () => {
    expect(() => transition(ID, 'COMPLETED', 'approve')).toThrow(`action ${ID} is COMPLETED; only PENDING actions can be approved`);
    expect(() => transition(ID, 'FAILED', 'terminate')).toThrow(`action ${ID} is FAILED; only PENDING, APPROVED or RUNNING actions can be terminated`);
  });

  it('has no move out of a terminal status', () => {
    for (const status of ACTION_STATUSES.filter(isTerminal)) {
      expect(MOVES.filter((move) => canMove(status, move)), status).toEqual([]);
    }
    expect(ACTION_STATUSES.filter(isTerminal).sort()).toEqual(['COMPLETED', 'EXPIRED', 'FAILED', 'REJECTED', 'TERMINATED']);
  });
});

const NOW = 1_700_000_000_000;
const LEASE: Lease = { leaseId: '11111111-1111-4111-8111-111111111111', executorId: 'exec-a', expiresAt: NOW + 30_000, ttlMs: 30_000 };

function action(overrides: Partial<Action> = {}): Action {
  return {
    id: ID, createdAt: NOW - 60_000, updatedAt: NOW - 60_000, proposedBy: 'anonymous', idempotencyKey: '', correlationId: '',
    node: 'n1', service: 'api', actionType: 'redeploy_service', riskLevel: 'GUARDED', confidence: 0.5, approvalRequired: true,
    autonomousEligible: false, status: 'PENDING', payload: {}, rollbackReference: '', expiresAt: NOW + 3_600_000, attempt: 0,
    maxAttempts: 3, lease: null, result: null, error: '', control: 'NONE', pausedByHalt: false, controlSequence: 0,
    approvalsRequired: 1, approvedBy: [], policyVerdict: null, ...overrides,
  };
}

const running = (overrides: Partial<Action> = {}): Action => action({ status: 'RUNNING', attempt: 1, lease: LEASE, ...overrides });

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the step to throw');
}

describe('lifecycle steps', () => {
  it('approve and reject record actor, reason and decision, and only from PENDING', () => {
    expect(lifecycle.approve(action(), ALICE, 'ok', NOT_HALTED, NOW, 3_600_000)).toEqual({
      from: 'PENDING', to: 'APPROVED', patch: { approvedBy: ['alice'], expiresAt: NOW + 3_600_000 }, event: { move: 'approve', actor: 'alice', reason: 'ok', decision: 'APPROVE' },
    });
    expect(lifecycle.reject(action(), 'bob', 'no', NOW)).toMatchObject({ to: 'REJECTED', event: { decision: 'REJECT' } });
    const err = thrownBy(() => lifecycle.approve(action({ status: 'REJECTED' }), ALICE, 'ok', NOT_HALTED, NOW, 1000));
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect((err as IllegalTransitionError).current).toBe('REJECTED');
  });

  it('the proposer never approves its own action, and four eyes need two distinct approvers', () => {
    const proposed = action({ proposedBy: 'alice', approvalsRequired: 2 });
    expect(thrownBy(() => lifecycle.approve(proposed, ALICE, 'mine', NOT_HALTED, NOW, 1000))).toBeInstanceOf(PermissionDeniedError);
    const first = lifecycle.approve(proposed, BOB, 'one', NOT_HALTED, NOW, 1000);
    expect(first).toMatchObject({ to: 'PENDING', patch: { approvedBy: ['bob'] }, event: { move: 'endorse', decision: 'APPROVE' } });
    const once = action({ proposedBy: 'alice', approvalsRequired: 2, approvedBy: ['bob'] });
    const twice = thrownBy(() => lifecycle.approve(once, BOB, 'again', NOT_HALTED, NOW, 1000));
    expect(twice).toBeInstanceOf(PreconditionError);
    expect((twice as Error).message).toContain('bob already approved');
    expect(lifecycle.approve(once, { actor: 'carol', identified: true }, 'two', NOT_HALTED, NOW, 1000)).toMatchObject({ to: 'APPROVED', patch: { approvedBy: ['bob', 'carol'] } });
    // Without identities (open mode) each approval counts, and nobody can be told from the proposer.
    const open = action({ proposedBy: 'anonymous', approvalsRequired: 2 });
    const anonymous = { actor: 'anonymous', identified: false };
    expect(lifecycle.approve(open, anonymous, '', NOT_HALTED, NOW, 1000).to).toBe('PENDING');
    expect(lifecycle.approve(action({ proposedBy: 'anonymous', approvalsRequired: 2, approvedBy: ['anonymous'] }), anonymous, '', NOT_HALTED, NOW, 1000).to).toBe('APPROVED');
  });

  it('claim counts the attempt and sets the lease', () => {
    const change = lifecycle.claim(action({ status: 'APPROVED', attempt: 1 }), { actor: 'anonymous', executorId: 'exec-b', leaseId: LEASE.leaseId, ttlMs: 5000 }, NOW, NOT_HALTED);
    expect(change.to).toBe('RUNNING');
    expect(change.patch.attempt).toBe(2);
    expect(change.patch.lease).toEqual({ leaseId: LEASE.leaseId, executorId: 'exec-b', expiresAt: NOW + 5000, ttlMs: 5000 });
    expect(thrownBy(() => lifecycle.claim(running(), { actor: 'anonymous', executorId: 'x', leaseId: LEASE.leaseId, ttlMs: 1 }, NOW, NOT_HALTED))).toBeInstanceOf(IllegalTransitionError);
  });

  it('fail retries while attempts remain and the error is retryable, else FAILED', () => {
    const retry = lifecycle.fail(running({ attempt: 1, maxAttempts: 3 }), LEASE.leaseId, 'disk full', true, NOW, 'anonymous');
    expect(retry.to).toBe('APPROVED');
    expect(retry.patch.error).toBe('disk full');
    expect(lifecycle.fail(running({ attempt: 2, maxAttempts: 3 }), LEASE.leaseId, 'e', true, NOW, 'anonymous').to).toBe('APPROVED');
    expect(lifecycle.fail(running({ attempt: 3, maxAttempts: 3 }), LEASE.leaseId, 'e', true, NOW, 'anonymous').to).toBe('FAILED');
    expect(lifecycle.fail(running({ attempt: 1, maxAttempts: 3 }), LEASE.leaseId, 'e', false, NOW, 'anonymous').to).toBe('FAILED');
  });

  it('complete stores the result under the holding lease', () => {
    const change = lifecycle.complete(running(), LEASE.leaseId, { ok: 1 }, NOW, 'anonymous');
    expect(change.to).toBe('COMPLETED');
    expect(change.patch.result).toEqual({ ok: 1 });
  });

  it('heartbeat extends the lease without a history event', () => {
    const change = lifecycle.heartbeat(running(), LEASE.leaseId, null, NOW + 1000);
    expect(change.to).toBe('RUNNING');
    expect(change.event).toBeNull();
    expect(change.patch.lease?.expiresAt).toBe(NOW + 1000 + LEASE.ttlMs);
    expect(lifecycle.heartbeat(running(), LEASE.leaseId, 2000, NOW).patch.lease).toMatchObject({ expiresAt: NOW + 2000, ttlMs: 2000 });
  });

  it('expireLease returns to APPROVED while attempts remain, then FAILED, by the system', () => {
    const expired = { ...LEASE, expiresAt: NOW - 1 };
    const retry = lifecycle.expireLease(running({ attempt: 1, maxAttempts: 2, lease: expired }), NOW);
    expect(retry.to).toBe('APPROVED');
    expect(retry.event?.actor).toBe(lifecycle.SYSTEM_ACTOR);
    const last = lifecycle.expireLease(running({ attempt: 2, maxAttempts: 2, lease: expired }), NOW);
    expect(last.to).toBe('FAILED');
    expect(last.patch.error).toMatch(/expired/);
    expect(thrownBy(() => lifecycle.expireLease(running(), NOW))).toBeInstanceOf(ConflictError);
  });

  it('expire fails closed: a PENDING action past its deadline, or an APPROVED one never claimed in time', () => {
    expect(lifecycle.expire(action({ expiresAt: NOW }), NOW).to).toBe('EXPIRED');
    expect(thrownBy(() => lifecycle.expire(action({ expiresAt: NOW + 1 }), NOW))).toBeInstanceOf(ConflictError);
    expect(lifecycle.expire(action({ status: 'APPROVED', expiresAt: NOW - 1 }), NOW)).toMatchObject({ to: 'EXPIRED', event: { reason: 'approval expired' } });
    expect(thrownBy(() => lifecycle.expire(action({ status: 'APPROVED', expiresAt: NOW + 1 }), NOW))).toBeInstanceOf(ConflictError);
    // An approval that was used once (a retry after a lost lease) does not expire.
    expect(thrownBy(() => lifecycle.expire(action({ status: 'APPROVED', attempt: 1, expiresAt: NOW - 1 }), NOW))).toBeInstanceOf(ConflictError);
    expect(thrownBy(() => lifecycle.expire(action({ status: 'RUNNING', expiresAt: NOW - 1 }), NOW))).toBeInstanceOf(IllegalTransitionError);
    // A claim racing the expiry loses even before the sweep has run.
    const lapsed = thrownBy(() => lifecycle.claim(action({ status: 'APPROVED', expiresAt: NOW }), { actor: 'x', executorId: 'e', leaseId: LEASE.leaseId, ttlMs: 1 }, NOW, NOT_HALTED));
    expect(lapsed).toBeInstanceOf(PreconditionError);
    expect((lapsed as Error).message).toContain('expired');
  });
});

describe('a lease that no longer holds', () => {
  const OTHER = '22222222-2222-4222-8222-222222222222';
  const steps = {
    heartbeat: (a: Action, leaseId: string) => lifecycle.heartbeat(a, leaseId, null, NOW),
    complete: (a: Action, leaseId: string) => lifecycle.complete(a, leaseId, {}, NOW, 'anonymous'),
    fail: (a: Action, leaseId: string) => lifecycle.fail(a, leaseId, 'e', true, NOW, 'anonymous'),
  };

  it.each(Object.entries(steps))('%s is LeaseLostError when the lease expired', (_name, step) => {
    const err = thrownBy(() => step(running({ lease: { ...LEASE, expiresAt: NOW } }), LEASE.leaseId));
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((err as Error).message).toContain('expired');
  });

  it.each(Object.entries(steps))('%s is LeaseLostError when another lease superseded it', (_name, step) => {
    expect(thrownBy(() => step(running({ attempt: 2, lease: { ...LEASE, leaseId: OTHER } }), LEASE.leaseId))).toBeInstanceOf(LeaseLostError);
  });

  it.each(Object.entries(steps))('%s is LeaseLostError once the action was terminated', (_name, step) => {
    const err = thrownBy(() => step(action({ status: 'TERMINATED', attempt: 1, lease: LEASE }), LEASE.leaseId));
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((err as Error).message).toContain('TERMINATED');
    expect(thrownBy(() => step(action({ status: 'TERMINATED' }), OTHER))).toBeInstanceOf(LeaseLostError);
  });

  it.each(Object.entries(steps))('%s is LeaseLostError after the lease expired and the action went back to APPROVED', (_name, step) => {
    const err = thrownBy(() => step(action({ status: 'APPROVED', attempt: 1, lease: { ...LEASE, expiresAt: NOW - 1 } }), LEASE.leaseId));
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((err as Error).message).toContain('APPROVED');
  });

  it.each(Object.entries(steps))('%s on an action that never ran under that lease is an illegal move naming the status', (_name, step) => {
    for (const status of ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'COMPLETED', 'FAILED'] as const) {
      const err = thrownBy(() => step(action({ status }), OTHER));
      expect(err, status).toBeInstanceOf(IllegalTransitionError);
      expect((err as IllegalTransitionError).current).toBe(status);
    }
  });
});
