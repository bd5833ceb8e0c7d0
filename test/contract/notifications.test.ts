import { describe, expect, it } from 'vitest';
import * as lifecycle from '../../src/domain/lifecycle.js';
import type { ActionStore, Judge, OutboxMessage } from '../../src/store/ActionStore.js';
import { BACKENDS, freshStorePerTest, newAction } from './backends.js';
import { approved, claimAs, running } from './steps.js';

/** Far enough past any message's due time (and any claim a store holds) to see everything left in the outbox. */
const LATER = 24 * 3600_000;

/** What a message announces, in a few words a test can compare. */
function about(message: OutboxMessage): string {
  const { subject } = message;
  if ('signal' in subject) return `${message.target} ${subject.signal.signal}`;
  return `${message.target} ${subject.event.to} ${subject.action.id}`;
}

describe.each(BACKENDS)('store contract, notifications, stats and signals: $name', (backend) => {
  let store: ActionStore;
  freshStorePerTest(backend, (o) => {
    store = o.store;
  });

  it('records nothing in the outbox until notifications are routed to targets', async () => {
    const { action } = await store.create(newAction());
    const run = await running(store, 'executor-1');
    await store.control(run.id, 'terminate', 'operator', 'stop');
    await store.halt('operator', 'incident', false);
    expect(await store.claimOutbox(100, Date.now() + LATER)).toEqual([]);
    expect((await store.stats()).undeliveredNotifications).toBe(0);

    store.routeNotifications(['hook-a']);
    await store.update(action.id, (a, now) => lifecycle.reject(a, 'approver-1', 'no', now));
    await store.unhalt('operator', 'clear');
    const { action: waiting } = await store.create(newAction());
    expect((await store.claimOutbox(100, Date.now() + LATER)).map(about)).toEqual([`hook-a PENDING ${waiting.id}`]);
  });

  it('records one message per target for an action waiting, terminated or failed, and a halt; not an approval, completion or unhalt', async () => {
    store.routeNotifications(['hook-a', 'hook-b']);
    const before = Date.now();
    const { action: waiting } = await store.create(newAction());
    const terminated = await running(store, 'executor-1');
    await store.control(terminated.id, 'terminate', 'operator', 'wrong cluster');
    const failed = await running(store, 'executor-2');
    await store.update(failed.id, (a, now) => lifecycle.fail(a, failed.leaseId, 'broken', false, now, 'executor'));
    const { halt } = await store.halt('operator', 'incident', false);
    await store.unhalt('operator', 'clear');
    const policy: Judge = (_action, _count, h) => ({
      verdict: { rule: 'safe', wouldApprove: true, mode: 'enforce', reason: 'matched' },
      approve: (a, now) => lifecycle.approve(a, { actor: 'policy:safe', identified: true }, 'policy safe', h, now, 60_000),
    });
    await store.create(newAction(), policy);

    const messages = await store.claimOutbox(100, Date.now() + LATER);
    const pendingOf = (id: string) => ['hook-a', 'hook-b'].map((t) => `${t} PENDING ${id}`);
    // running() proposes each action first: those proposals waited for people too.
    expect(messages.map(about).sort()).toEqual(
      [
        ...pendingOf(waiting.id), ...pendingOf(terminated.id), ...pendingOf(failed.id),
        `hook-a TERMINATED ${terminated.id}`, `hook-b TERMINATED ${terminated.id}`,
        `hook-a FAILED ${failed.id}`, `hook-b FAILED ${failed.id}`,
        'hook-a HALT', 'hook-b HALT',
      ].sort(),
    );
    for (const m of messages) {
      expect(m.attempts).toBe(0);
      expect(m.createdAt).toBeGreaterThanOrEqual(before);
    }
    const halted = messages.find((m) => about(m) === 'hook-a HALT')!;
    expect(halted.subject).toEqual({ signal: halt.signal });
    const ended = messages.find((m) => about(m) === `hook-a TERMINATED ${terminated.id}`)!;
    const stored = await store.getAction(terminated.id);
    expect(ended.subject).toEqual({ event: stored!.history.at(-1), action: stored });
    // Earliest due first: every message was due when it was written, so in the order the transitions committed.
    expect(messages.map((m) => m.id)).toEqual([...messages.map((m) => m.id)].sort((a, b) => a - b));
    expect((await store.stats()).undeliveredNotifications).toBe(12);
  });

  it('writes no message for a refused step, nor for one refused beside others that commit', async () => {
    store.routeNotifications(['hook']);
    const run = await running(store, 'executor-1');
    const done = await approved(store);
    await store.claimOutbox(100, Date.now() + LATER).then((ms) => Promise.all(ms.map((m) => store.markDelivered(m.id))));

    await expect(store.update(done.id, () => { throw new Error('refused'); })).rejects.toThrow('refused');
    await expect(store.update(done.id, (a, now) => lifecycle.fail(a, 'not-the-lease', 'x', false, now, 'executor'))).rejects.toThrow();
    // Two terminates at once: one wins, the other is refused in the same batch; a third step commits beside them.
    const outcomes = await Promise.allSettled([
      store.control(run.id, 'terminate', 'operator', 'one'),
      store.control(run.id, 'terminate', 'operator', 'two'),
      store.create(newAction()),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    const kinds = (await store.claimOutbox(100, Date.now() + LATER)).map((m) => about(m).split(' ')[1]);
    expect(kinds.sort()).toEqual(['PENDING', 'TERMINATED']);
    expect((await store.stats()).undeliveredNotifications).toBe(2);
  });

  it('settles messages: a failed attempt is due again later with one more attempt, a delivered one is gone', async () => {
    store.routeNotifications(['hook']);
    const { action: first } = await store.create(newAction());
    const { action: second } = await store.create(newAction());
    const t0 = Date.now();
    const due = await store.claimOutbox(10, t0 + 1000);
    expect(due.map((m) => ('event' in m.subject ? m.subject.action.id : ''))).toEqual([first.id, second.id]);
    expect(await store.claimOutbox(1, t0 - 60_000)).toEqual([]);

    await store.markFailed(due[0]!.id, t0 + 5 * 60_000, 'HTTP 503');
    await store.markDelivered(due[1]!.id);
    expect((await store.stats()).undeliveredNotifications).toBe(1);
    expect(await store.claimOutbox(10, t0 + 4 * 60_000)).toEqual([]);
    const retried = await store.claimOutbox(10, t0 + 5 * 60_000);
    expect(retried.map((m) => ({ id: m.id, attempts: m.attempts }))).toEqual([{ id: due[0]!.id, attempts: 1 }]);
    await store.markFailed(retried[0]!.id, t0 + 6 * 60_000, 'timeout');
    expect((await store.claimOutbox(10, t0 + 6 * 60_000))[0]?.attempts).toBe(2);

    await store.markDelivered(due[0]!.id);
    // Settling twice (another attempt got there first) changes nothing.
    await store.markDelivered(due[0]!.id);
    await store.markFailed(due[1]!.id, t0, 'late');
    expect(await store.claimOutbox(10, t0 + LATER)).toEqual([]);
    expect((await store.stats()).undeliveredNotifications).toBe(0);
  });

  it('counts actions by status, the oldest waiting proposal and the halt', async () => {
    const empty = await store.stats();
    expect(Object.values(empty.actionsByStatus).every((n) => n === 0)).toBe(true);
    expect(empty).toMatchObject({ halted: false, oldestPendingCreatedAt: null, undeliveredNotifications: 0 });

    const { action: oldest } = await store.create(newAction());
    const { action: next } = await store.create(newAction());
    await approved(store);
    await running(store, 'executor-1');
    const { action: rejected } = await store.create(newAction());
    await store.update(rejected.id, (a, now) => lifecycle.reject(a, 'approver-1', 'no', now));
    await store.halt('operator', 'incident', false);

    const stats = await store.stats();
    expect(stats.actionsByStatus).toMatchObject({ PENDING: 2, APPROVED: 1, RUNNING: 1, REJECTED: 1, COMPLETED: 0, FAILED: 0, TERMINATED: 0, EXPIRED: 0 });
    expect(stats.oldestPendingCreatedAt).toBe(oldest.createdAt);
    expect(stats.halted).toBe(true);

    await store.update(oldest.id, (a, now) => lifecycle.reject(a, 'approver-1', 'no', now));
    const after = await store.stats();
    expect(after.oldestPendingCreatedAt).toBe(next.createdAt);
    expect(after.actionsByStatus.PENDING).toBe(1);
  });

  it('reads signals by sequence, filtering per-action signals by node, service and type while HALT and UNHALT always pass', async () => {
    const runningOn = async (overrides: Parameters<typeof newAction>[0]) => store.update((await approved(store, overrides)).id, claimAs('executor-1'));
    const web = await runningOn({ node: 'web-1', service: 'checkout', actionType: 'restart_service' });
    const db = await runningOn({ node: 'db-1', service: 'ledger', actionType: 'collect_diagnostics' });
    const { signal: pauseWeb } = await store.control(web.id, 'pause', 'operator', 'look');
    const { halt: { signal: halt } } = await store.halt('operator', 'incident', false);
    const { halt: { signal: unhalt } } = await store.unhalt('operator', 'clear');
    const { signal: terminateDb } = await store.control(db.id, 'terminate', 'operator', 'stop');

    expect(await store.readSignals(0, {}, 100)).toEqual([pauseWeb, halt, unhalt, terminateDb]);
    expect(await store.readSignals(0, { node: 'web-1' }, 100)).toEqual([pauseWeb, halt, unhalt]);
    expect(await store.readSignals(0, { service: 'ledger' }, 100)).toEqual([halt, unhalt, terminateDb]);
    expect(await store.readSignals(0, { actionType: 'restart_service', node: 'db-1' }, 100)).toEqual([halt, unhalt]);
    expect(await store.readSignals(pauseWeb.sequence, {}, 100)).toEqual([halt, unhalt, terminateDb]);
    expect(await store.readSignals(0, {}, 2)).toEqual([pauseWeb, halt]);
    expect(await store.readSignals(terminateDb.sequence, {}, 100)).toEqual([]);
    // Statuses are an event's filter, not a signal's: they leave signals be.
    expect(await store.readSignals(0, { statuses: ['PENDING'] }, 100)).toEqual([pauseWeb, halt, unhalt, terminateDb]);
  });
});
