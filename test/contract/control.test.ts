import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/domain/action.js';
import type { ControlSignal } from '../../src/domain/controlSignal.js';
import { PreconditionError } from '../../src/domain/errors.js';
import type { ActionStore } from '../../src/store/ActionStore.js';
import { waitFor } from '../support/waitFor.js';
import { BACKENDS, freshStorePerTest, newAction, type OpenedStore } from './backends.js';
import { approveBy, approved, claimAs, running } from './steps.js';

describe.each(BACKENDS)('store contract, control and history: $name', (backend) => {
  let opened: OpenedStore;
  let store: ActionStore;
  freshStorePerTest(backend, (o) => {
    opened = o;
    store = o.store;
  });

  it('pauses, resumes and terminates one action, each with a signal to its lease holder', async () => {
    const heard: ControlSignal[] = [];
    store.onSignals((signals) => heard.push(...signals));
    const action = await running(store, 'executor-1');
    const paused = await store.control(action.id, 'pause', 'operator', 'look first');
    expect(paused.action).toMatchObject({ control: 'PAUSED', controlSequence: paused.signal.sequence });
    expect(paused.signal).toMatchObject({ actionId: action.id, executorId: 'executor-1', signal: 'PAUSE', issuedBy: 'operator', reason: 'look first' });
    await expect(store.control(action.id, 'pause', 'operator', 'again')).rejects.toBeInstanceOf(PreconditionError);
    const resumed = await store.control(action.id, 'resume', 'operator', '');
    const terminated = await store.control(action.id, 'terminate', 'operator', 'stop');
    expect(terminated.action).toMatchObject({ status: 'TERMINATED', control: 'TERMINATED' });
    expect(terminated.action.history.at(-1)).toMatchObject({ from: 'RUNNING', to: 'TERMINATED', actor: 'operator' });
    const sent = [paused.signal, resumed.signal, terminated.signal];
    expect(await store.signalsFor(action.id)).toEqual(sent);
    await waitFor(async () => heard.length, (n) => n >= 3, { what: 'listeners to hear the three signals' });
    expect(heard).toEqual(sent);
    expect(sent.map((s) => s.sequence)).toEqual([sent[0]!.sequence, sent[0]!.sequence + 1, sent[0]!.sequence + 2]);
  });

  it('records acknowledgements once, refusing unknown sequences and other executors\' signals alone', async () => {
    const action = await running(store, 'executor-1');
    const { signal: pause } = await store.control(action.id, 'pause', 'operator', '');
    const { signal: terminate } = await store.control(action.id, 'terminate', 'operator', '');
    const outcome = await store.acknowledge('executor-1', [pause.sequence, terminate.sequence, 999]);
    expect(outcome).toEqual({ recorded: 2, refused: [{ sequence: 999, reason: 'no control signal has sequence 999' }] });
    expect((await store.acknowledge('executor-1', [pause.sequence])).recorded).toBe(0);
    const other = await store.acknowledge('executor-2', [terminate.sequence]);
    expect(other.recorded).toBe(0);
    expect(other.refused[0]!.reason).toContain('executor-1');
    const acks = await store.acknowledgements([pause.sequence, terminate.sequence]);
    expect(acks.map((a) => [a.executorId, a.sequence, a.signal])).toEqual([['executor-1', pause.sequence, 'PAUSE'], ['executor-1', terminate.sequence, 'TERMINATE']]);
  });

  it('halts: pauses what runs, refuses claims and approvals; unhalt resumes only what the halt paused', async () => {
    const a = await running(store, 'executor-1');
    const b = await running(store, 'executor-2');
    const c = await running(store, 'executor-1');
    await store.control(c.id, 'pause', 'operator', 'by hand');
    const waiting = await approved(store);
    const { action: pending } = await store.create(newAction());

    const { halt, affected } = await store.halt('operator', 'incident', false);
    expect(halt).toMatchObject({ halted: true, terminateRunning: false, signal: { signal: 'HALT', reason: 'incident', issuedBy: 'operator' } });
    expect(affected.sort()).toEqual([a.id, b.id].sort());
    expect(await store.haltState()).toEqual(halt);
    expect(await store.getAction(a.id)).toMatchObject({ control: 'PAUSED', pausedByHalt: true, controlSequence: halt.signal!.sequence });
    await expect(store.claimNext({ actionTypes: [], nodes: [] }, claimAs('executor-3'))).rejects.toBeInstanceOf(PreconditionError);
    await expect(store.update(waiting.id, claimAs('executor-3'))).rejects.toBeInstanceOf(PreconditionError);
    await expect(store.update(pending.id, approveBy('approver-1'))).rejects.toBeInstanceOf(PreconditionError);
    await expect(store.halt('operator', 'again', false)).rejects.toBeInstanceOf(PreconditionError);

    const lifted = await store.unhalt('operator', 'all clear');
    expect(lifted.halt).toMatchObject({ halted: false, signal: { signal: 'UNHALT' } });
    expect(lifted.resumed.sort()).toEqual([a.id, b.id].sort());
    expect(await store.getAction(c.id)).toMatchObject({ control: 'PAUSED', pausedByHalt: false });
    expect(await store.getAction(a.id)).toMatchObject({ control: 'NONE', pausedByHalt: false });
    await expect(store.unhalt('operator', 'twice')).rejects.toBeInstanceOf(PreconditionError);
    expect((await store.claimNext({ actionTypes: [], nodes: [] }, claimAs('executor-3')))?.id).toBe(waiting.id);
  });

  it('a halt that terminates ends every running action with a signal each', async () => {
    const a = await running(store, 'executor-1');
    const { halt, affected } = await store.halt('operator', 'fire', true);
    expect(halt.terminateRunning).toBe(true);
    expect(affected).toEqual([a.id]);
    const stored = await store.getAction(a.id);
    expect(stored).toMatchObject({ status: 'TERMINATED', control: 'TERMINATED' });
    expect(stored!.history.at(-1)!.reason).toBe('halted: fire');
    expect((await store.signalsFor(a.id)).map((s) => s.signal)).toEqual(['TERMINATE']);
  });

  it('snapshots what an executor holds, the halt, and the high-water mark', async () => {
    const kept = await running(store, 'executor-1');
    const ended = await running(store, 'executor-1');
    await running(store, 'executor-2');
    const { signal: pause } = await store.control(kept.id, 'pause', 'operator', '');
    const { signal: terminate } = await store.control(ended.id, 'terminate', 'operator', '');
    const snapshot = await store.snapshot('executor-1');
    expect(snapshot.halt.halted).toBe(false);
    expect(snapshot.highWater).toBe(terminate.sequence);
    expect(snapshot.actions.map((a) => [a.id, a.control, a.controlSequence]).sort()).toEqual(
      [[kept.id, 'PAUSED', pause.sequence], [ended.id, 'TERMINATED', terminate.sequence]].sort(),
    );
    await store.acknowledge('executor-1', [terminate.sequence]);
    expect((await store.snapshot('executor-1')).actions.map((a) => a.id)).toEqual([kept.id]);
    const { halt } = await store.halt('operator', 'freeze', false);
    const halted = await store.snapshot('executor-2');
    expect(halted.halt).toEqual(halt);
    expect(halted.highWater).toBe(halt.signal!.sequence);
  });

  it('numbers events without gaps in commit order, tells listeners once in order, and reads them back filtered', async () => {
    const heard: HistoryEvent[] = [];
    store.onEvents((events) => heard.push(...events));
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create(newAction({ node: `n${i % 2}` }))));
    await Promise.all(created.slice(0, 10).map(({ action }) => store.update(action.id, approveBy('approver-1'))));
    const read = await store.readEvents(0, {}, 100);
    expect(read.map((e) => e.sequence)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Listeners hear every commit in sequence order; a commit that overtook an earlier one may be heard just after its call answered.
    await waitFor(async () => heard.length, (n) => n >= 30, { what: 'listeners to hear all 30 events' });
    expect(heard).toEqual(read);
    expect((await store.readEvents(25, {}, 100)).map((e) => e.sequence)).toEqual([26, 27, 28, 29, 30]);
    expect(await store.readEvents(0, { statuses: ['APPROVED'] }, 100)).toHaveLength(10);
    expect((await store.readEvents(0, { node: 'n1' }, 100)).every((e) => e.node === 'n1')).toBe(true);
  });

  it('tells commit listeners what each of its own commits made, once each commit is durable', async () => {
    const heard: { events: HistoryEvent[]; signals: ControlSignal[] } = { events: [], signals: [] };
    store.onCommittedHere(({ events, signals }) => {
      heard.events.push(...events);
      heard.signals.push(...signals);
    });
    const action = await running(store, 'executor-1');
    const { signal } = await store.control(action.id, 'terminate', 'operator', 'stop');
    const { halt } = await store.halt('operator', 'freeze', false);
    // Heard at the commit, before the call that made it answered.
    expect(heard.events).toEqual(await store.readEvents(0, {}, 100));
    expect(heard.events.map((e) => e.to)).toEqual(['PENDING', 'APPROVED', 'RUNNING', 'TERMINATED']);
    expect(heard.signals).toEqual([signal, halt.signal]);
  });

  it('keeps the history hash-chained, and names the first event edited behind its back', async () => {
    for (let i = 0; i < 3; i += 1) await approved(store);
    const events = await store.readEvents(0, {}, 100);
    for (let i = 1; i < events.length; i += 1) expect(events[i]!.previousHash).toBe(events[i - 1]!.hash);
    expect(await store.verifyHistory()).toEqual({ ok: true, eventsChecked: 6, firstBadSequence: 0, firstBadActionId: '', problem: '' });
    await opened.tamperWithEvent(4, 'rewritten');
    const check = await store.verifyHistory();
    expect(check).toMatchObject({ ok: false, firstBadSequence: 4, firstBadActionId: events[3]!.actionId });
    expect(check.problem).toContain('edited');
  });
});
