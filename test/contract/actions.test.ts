import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError, IllegalTransitionError, LeaseLostError, NotFoundError } from '../../src/domain/errors.js';
import * as lifecycle from '../../src/domain/lifecycle.js';
import type { ActionStore, Judge } from '../../src/store/ActionStore.js';
import { waitFor } from '../support/waitFor.js';
import { BACKENDS, freshStorePerTest, newAction } from './backends.js';
import { approveBy, approved, claimAs, completeWith, running } from './steps.js';

describe.each(BACKENDS)('store contract, actions: $name', (backend) => {
  let store: ActionStore;
  freshStorePerTest(backend, (o) => {
    store = o.store;
  });

  it('creates a PENDING action with its proposed event, and reads it back exactly', async () => {
    const input = newAction({ payload: { deep: { list: [1, 2.5, 'x', null, true] }, text: 'ünïcode ✓' }, expiresAt: Date.now() + 60_000 });
    const { action, replayed } = await store.create(input);
    expect(replayed).toBe(false);
    expect(action).toMatchObject({ status: 'PENDING', attempt: 0, control: 'NONE', payload: input.payload, expiresAt: input.expiresAt });
    expect(action.history.map((e) => [e.from, e.to, e.actor, e.reason])).toEqual([[null, 'PENDING', 'agent-1', 'proposed']]);
    expect(await store.getAction(action.id)).toEqual(action);
    expect(await store.getAction('01900000-0000-7000-8000-000000000000')).toBeNull();
  });

  it('replays a repeated idempotency key, refuses a different proposal under it, and keys per proposer', async () => {
    const input = newAction({ idempotencyKey: 'key-1' });
    const first = await store.create(input);
    const again = await store.create(input);
    expect(again.replayed).toBe(true);
    expect(again.action.id).toBe(first.action.id);
    await expect(store.create({ ...input, payload: { other: true } })).rejects.toBeInstanceOf(AlreadyExistsError);
    const otherProposer = await store.create({ ...input, proposedBy: 'agent-2' });
    expect(otherProposer.replayed).toBe(false);
    expect(otherProposer.action.id).not.toBe(first.action.id);
  });

  it('creates one action for concurrent proposals under one idempotency key', async () => {
    const input = newAction({ idempotencyKey: 'race' });
    const results = await Promise.all(Array.from({ length: 8 }, () => store.create(input)));
    expect(new Set(results.map((r) => r.action.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });

  it('walks approve, claim, heartbeat, complete, each recorded once in order', async () => {
    const action = await approved(store);
    expect(action.status).toBe('APPROVED');
    expect(action.approvedBy).toEqual(['approver-1']);
    const claimed = await store.update(action.id, claimAs('executor-1', 30_000, 'lease-1'));
    expect(claimed).toMatchObject({ status: 'RUNNING', attempt: 1, lease: { leaseId: 'lease-1', executorId: 'executor-1' } });
    const beat = await store.update(action.id, (a, now) => lifecycle.heartbeat(a, 'lease-1', 60_000, now));
    expect(beat.lease!.ttlMs).toBe(60_000);
    expect(beat.history).toHaveLength(3);
    const done = await store.update(action.id, completeWith('lease-1'));
    expect(done).toMatchObject({ status: 'COMPLETED', result: { ok: true } });
    expect(done.history.map((e) => e.to)).toEqual(['PENDING', 'APPROVED', 'RUNNING', 'COMPLETED']);
    expect(done.history[1]!.decision).toBe('APPROVE');
    const sequences = done.history.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(await store.getAction(action.id)).toEqual(done);
  });

  it('rejects, fails with and without retry, and refuses illegal moves naming the status', async () => {
    const { action } = await store.create(newAction());
    const rejected = await store.update(action.id, (a, now) => lifecycle.reject(a, 'approver-1', 'no', now));
    expect(rejected.status).toBe('REJECTED');
    expect(rejected.history[1]!.decision).toBe('REJECT');
    await expect(store.update(action.id, approveBy('approver-1'))).rejects.toBeInstanceOf(IllegalTransitionError);

    const run = await running(store, 'executor-1');
    const retried = await store.update(run.id, (a, now) => lifecycle.fail(a, run.leaseId, 'flaky', true, now, 'executor'));
    expect(retried).toMatchObject({ status: 'APPROVED', error: 'flaky', attempt: 1 });
    const second = await store.update(run.id, claimAs('executor-2', 30_000, 'lease-2'));
    expect(second.attempt).toBe(2);
    await expect(store.update(run.id, completeWith(run.leaseId))).rejects.toBeInstanceOf(LeaseLostError);
    const failed = await store.update(run.id, (a, now) => lifecycle.fail(a, 'lease-2', 'broken', true, now, 'executor'));
    expect(failed.status).toBe('FAILED');
    await expect(store.update('01900000-0000-7000-8000-000000000000', approveBy('x'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('changes nothing when a decided step throws', async () => {
    const { action } = await store.create(newAction());
    await expect(store.update(action.id, () => { throw new ConflictError('refused'); })).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getAction(action.id)).toEqual(action);
    expect(await store.readEvents(0, {}, 100)).toHaveLength(1);
  });

  it('undoes a proposal whose policy step throws after it was written, and chains the others sent with it', async () => {
    const approving: Judge = (_action, _count, halt) => ({
      verdict: { rule: 'safe', wouldApprove: true, mode: 'enforce', reason: 'matched' },
      approve: (a, now) => lifecycle.approve(a, { actor: 'policy:safe', identified: true }, 'policy safe', halt, now, 60_000),
    });
    const throwing: Judge = () => ({
      verdict: { rule: 'broken', wouldApprove: true, mode: 'enforce', reason: 'matched' },
      approve: () => { throw new ConflictError('the policy step failed after the proposal was written'); },
    });
    // Sent in one turn, so a store that commits in batches takes them together.
    const outcomes = await Promise.allSettled([
      store.create(newAction({ correlationId: 'first' }), approving),
      store.create(newAction({ correlationId: 'undone' }), throwing),
      store.create(newAction({ correlationId: 'third' }), approving),
      store.create(newAction({ correlationId: 'fourth' })),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const events = await store.readEvents(0, {}, 100);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => events[0]!.sequence + i));
    expect(events).toHaveLength(5);
    expect((await store.listActions({}, 10, null)).map((a) => a.correlationId).sort()).toEqual(['first', 'fourth', 'third']);
    expect(await store.verifyHistory()).toMatchObject({ ok: true, eventsChecked: 5 });
  });

  it('lets exactly one of concurrent conflicting steps win', async () => {
    const action = await approved(store);
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.update(action.id, claimAs(`executor-${i}`))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IllegalTransitionError);
    const stored = await store.getAction(action.id);
    expect(stored!.history.filter((e) => e.to === 'RUNNING')).toHaveLength(1);
  });

  it('steps committed together see what the ones before them did, and one refused among them leaves the rest be', async () => {
    // Three steps per action at once, so the store commits several of them together (group commit).
    const actions = await Promise.all(Array.from({ length: 8 }, async () => (await store.create(newAction())).action));
    const refuse = (): never => {
      throw new ConflictError('refused');
    };
    const outcomes = await Promise.allSettled(actions.flatMap((a, i) => [
      store.update(a.id, approveBy('approver-1')),
      store.update(a.id, refuse),
      store.update(a.id, claimAs(`executor-${i}`)),
    ]));
    for (const [i, action] of actions.entries()) {
      const [approval, refusal, claim] = outcomes.slice(i * 3, i * 3 + 3);
      expect(approval!.status).toBe('fulfilled');
      expect(refusal!.status === 'rejected' && refusal!.reason).toBeInstanceOf(ConflictError);
      expect(claim!.status).toBe('fulfilled');
      const claimed = (claim as PromiseFulfilledResult<Awaited<ReturnType<ActionStore['update']>>>).value;
      expect(claimed).toMatchObject({ status: 'RUNNING', lease: { executorId: `executor-${i}` } });
      expect(claimed.history.map((e) => e.to)).toEqual(['PENDING', 'APPROVED', 'RUNNING']);
      expect(await store.getAction(action.id)).toEqual(claimed);
    }
    const events = await store.readEvents(0, {}, 100);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(await store.verifyHistory()).toMatchObject({ ok: true, eventsChecked: 24 });
  });

  it('claims the oldest matching approved action, each once, and skips paused ones', async () => {
    const first = await approved(store, { node: 'n1' });
    const second = await approved(store, { node: 'n2', actionType: 'collect_diagnostics' });
    const third = await approved(store, { node: 'n1' });
    await store.control(first.id, 'pause', 'operator', 'hold');
    expect((await store.claimNext({ actionTypes: ['collect_diagnostics'], nodes: [] }, claimAs('e1')))?.id).toBe(second.id);
    expect((await store.claimNext({ actionTypes: [], nodes: ['n1'] }, claimAs('e1')))?.id).toBe(third.id);
    expect(await store.claimNext({ actionTypes: [], nodes: [] }, claimAs('e1'))).toBeNull();

    const many = await Promise.all(Array.from({ length: 5 }, () => approved(store, { node: 'n9' })));
    const claims = await Promise.all(Array.from({ length: 9 }, (_, i) => store.claimNext({ actionTypes: [], nodes: ['n9'] }, claimAs(`e${i}`))));
    const ids = claims.filter((c) => c !== null).map((c) => c!.id);
    expect(ids.sort()).toEqual(many.map((a) => a.id).sort());
  });

  it('finds expired proposals, approvals and leases, and applies each expiry once', async () => {
    const now = Date.now();
    const { action: stale } = await store.create(newAction({ expiresAt: now - 1 }));
    const unclaimed = await store.update((await store.create(newAction())).action.id, approveBy('approver-1', 1));
    const lapsed = await running(store, 'executor-1', 1);
    const found = await waitFor(() => store.findExpired(Date.now(), 10), (e) => e.approvals.length === 1 && e.leases.length === 1, { what: 'expiries' });
    expect(found).toEqual({ pending: [stale.id], approvals: [unclaimed.id], leases: [lapsed.id] });

    const expireTwice = await Promise.allSettled([store.update(stale.id, (a, t) => lifecycle.expire(a, t)), store.update(stale.id, (a, t) => lifecycle.expire(a, t))]);
    expect(expireTwice.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await store.update(unclaimed.id, (a, t) => lifecycle.expire(a, t))).status).toBe('EXPIRED');
    const retried = await store.update(lapsed.id, (a, t) => lifecycle.expireLease(a, t));
    expect(retried.status).toBe('APPROVED');
    expect(await store.findExpired(Date.now(), 10)).toEqual({ pending: [], approvals: [], leases: [] });
    expect((await store.getAction(stale.id))!.history.filter((e) => e.to === 'EXPIRED')).toHaveLength(1);
  });

  it('lists newest first with pages and filters', async () => {
    const made = [];
    for (let i = 0; i < 5; i += 1) made.push((await store.create(newAction({ node: i % 2 === 0 ? 'even' : 'odd' }))).action);
    await store.update(made[0]!.id, approveBy('approver-1'));
    const ids = made.map((a) => a.id).reverse();
    expect((await store.listActions({}, 10, null)).map((a) => a.id)).toEqual(ids);
    const page = await store.listActions({}, 2, null);
    expect((await store.listActions({}, 10, page[1]!.id)).map((a) => a.id)).toEqual(ids.slice(2));
    expect((await store.listActions({ node: 'odd' }, 10, null)).map((a) => a.id)).toEqual([made[3]!.id, made[1]!.id]);
    expect((await store.listActions({ statuses: ['APPROVED', 'APPROVED'] }, 10, null)).map((a) => a.id)).toEqual([made[0]!.id]);
    expect((await store.listActions({ statuses: ['APPROVED', 'PENDING'] }, 10, null))).toHaveLength(5);
  });

  it('judges a proposal inside the transaction: the policy approves, and approvalsThisHour counts per service', async () => {
    // A store may judge a proposal more than once (PostgreSQL counts only when the policy asks): the last count is the one that held.
    const counts = new Map<string, number>();
    const judge: Judge = (action, approvalsThisHour, halt) => {
      counts.set(action.correlationId, approvalsThisHour());
      return {
        verdict: { rule: 'safe-api', wouldApprove: true, mode: 'enforce', reason: 'matched' },
        approve: (a, now) => lifecycle.approve(a, { actor: 'policy:safe-api', identified: true }, 'policy safe-api', halt, now, 60_000),
      };
    };
    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await store.create(newAction({ service: 'api' }), judge));
    await store.create(newAction({ service: 'db' }), judge);
    expect([...counts.values()]).toEqual([0, 1, 2, 0]);
    const [first] = results;
    expect(first!.action).toMatchObject({ status: 'APPROVED', autonomousEligible: true, policyVerdict: { rule: 'safe-api', wouldApprove: true, mode: 'enforce' } });
    expect(first!.action.history.map((e) => e.to)).toEqual(['PENDING', 'APPROVED']);
    expect(await store.getAction(first!.action.id)).toEqual(first!.action);

    // Proposed at once, committed together: each counts the ones judged before it in the same transaction.
    const concurrent = new Map<string, number>();
    const countingJudge: Judge = (action, approvalsThisHour) => {
      concurrent.set(action.correlationId, approvalsThisHour());
      return { verdict: { rule: 'rate', wouldApprove: true, mode: 'recommend', reason: 'matched' }, approve: null };
    };
    await Promise.all(Array.from({ length: 6 }, () => store.create(newAction({ service: 'queue' }), countingJudge)));
    expect([...concurrent.values()].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const recommend: Judge = () => ({ verdict: { rule: '', wouldApprove: false, mode: 'recommend', reason: 'no rule' }, approve: null });
    const { action } = await store.create(newAction(), recommend);
    expect(action).toMatchObject({ status: 'PENDING', policyVerdict: { wouldApprove: false, mode: 'recommend', reason: 'no rule' } });
  });
});
