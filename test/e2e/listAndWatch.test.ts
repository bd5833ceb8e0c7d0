import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { ActionStatus, type HistoryEvent } from '../../src/gen/actiongate/v1/action.js';
import type { WatchActionsRequest } from '../../src/gen/actiongate/v1/action_service.js';
import { actionIn, getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const S = ActionStatus;

describe('ListActions', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists newest first and pages with page_size and page_token until the token is empty', async () => {
    const node = uniqueNode();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await proposeAction(t.actions, { node })).actionId);
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let pageToken = '';
    do {
      const page = await t.actions.listActions({ node, pageSize: 3, pageToken });
      pageSizes.push(page.actions.length);
      seen.push(...page.actions.map((a) => a.actionId));
      expect(page.actions.every((a) => a.history.length === 0)).toBe(true);
      pageToken = page.nextPageToken;
    } while (pageToken !== '' && pageSizes.length < 10);
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([...ids].reverse());
    const created = (await t.actions.listActions({ node })).actions.map((a) => a.createdAt!.getTime());
    expect([...created].sort((a, b) => b - a)).toEqual(created);
  });

  it('gives no next_page_token when the page holds everything', async () => {
    const node = uniqueNode();
    for (let i = 0; i < 3; i++) await proposeAction(t.actions, { node });
    const exact = await t.actions.listActions({ node, pageSize: 3 });
    expect(exact.actions).toHaveLength(3);
    const bigger = await t.actions.listActions({ node, pageSize: 500 });
    expect(bigger.actions).toHaveLength(3);
    expect(bigger.nextPageToken).toBe('');
  });

  it('filters by statuses, node, service and action_type, combined', async () => {
    const node = uniqueNode();
    const pending = await proposeAction(t.actions, { node, service: 'api', actionType: 'rerun_healthcheck' });
    const approved = (await actionIn(t.actions, 'APPROVED', { node, service: 'db', actionType: 'redeploy_service' })).action;
    const rejected = (await actionIn(t.actions, 'REJECTED', { node, service: 'api', actionType: 'redeploy_service' })).action;
    const elsewhere = await proposeAction(t.actions, { service: 'api', actionType: 'rerun_healthcheck' });
    const ids = async (filter: Parameters<typeof t.actions.listActions>[0]) =>
      (await t.actions.listActions(filter)).actions.map((a) => a.actionId).sort();

    expect(await ids({ node })).toEqual([pending.actionId, approved.actionId, rejected.actionId].sort());
    expect(await ids({ node, statuses: [S.ACTION_STATUS_PENDING] })).toEqual([pending.actionId]);
    expect(await ids({ node, statuses: [S.ACTION_STATUS_APPROVED, S.ACTION_STATUS_REJECTED] })).toEqual([approved.actionId, rejected.actionId].sort());
    expect(await ids({ node, service: 'api' })).toEqual([pending.actionId, rejected.actionId].sort());
    expect(await ids({ node, actionType: 'redeploy_service' })).toEqual([approved.actionId, rejected.actionId].sort());
    expect(await ids({ node, service: 'api', actionType: 'redeploy_service', statuses: [S.ACTION_STATUS_REJECTED] })).toEqual([rejected.actionId]);
    expect(await ids({ node, statuses: [S.ACTION_STATUS_COMPLETED] })).toEqual([]);
    expect(await ids({ node: elsewhere.node })).toEqual([elsewhere.actionId]);
  });

  it('pages through a filtered list without losing or repeating actions', async () => {
    const node = uniqueNode();
    const wanted: string[] = [];
    for (let i = 0; i < 5; i++) {
      wanted.push((await actionIn(t.actions, 'APPROVED', { node })).action.actionId);
      await proposeAction(t.actions, { node });
    }
    const seen: string[] = [];
    let pageToken = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await t.actions.listActions({ node, statuses: [S.ACTION_STATUS_APPROVED], pageSize: 2, pageToken });
      seen.push(...page.actions.map((a) => a.actionId));
      pageToken = page.nextPageToken;
      if (pageToken === '') break;
    }
    expect(seen).toEqual([...wanted].reverse());
  });

  it('pages newest first through several statuses at once, interleaved as they were created', async () => {
    const node = uniqueNode();
    const wanted: string[] = [];
    for (let i = 0; i < 4; i++) {
      wanted.push((await actionIn(t.actions, 'APPROVED', { node })).action.actionId);
      wanted.push((await proposeAction(t.actions, { node })).actionId);
      await actionIn(t.actions, 'REJECTED', { node });
    }
    const seen: string[] = [];
    let pageToken = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await t.actions.listActions({ node, statuses: [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED], pageSize: 3, pageToken });
      seen.push(...page.actions.map((a) => a.actionId));
      pageToken = page.nextPageToken;
      if (pageToken === '') break;
    }
    expect(seen).toEqual([...wanted].reverse());

    const repeated = await t.actions.listActions({ node, statuses: [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED] });
    expect(repeated.actions.map((a) => a.actionId)).toEqual([...wanted].reverse());
  });
});

/** Collects a WatchActions stream's events until unsubscribed. */
function watch(t: TestServer, request: Partial<WatchActionsRequest>): { events: HistoryEvent[]; errors: unknown[]; subscription: Subscription } {
  const events: HistoryEvent[] = [];
  const errors: unknown[] = [];
  const subscription = t.actions.watchActions(request).subscribe({
    next: (message) => events.push(message.event!),
    error: (err: unknown) => errors.push(err),
  });
  return { events, errors, subscription };
}

describe('WatchActions', () => {
  let t: TestServer;
  const subscriptions: Subscription[] = [];
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    for (const s of subscriptions) s.unsubscribe();
    await t?.stop();
  });

  it('replays events after a sequence, then follows live commits, in sequence order', async () => {
    const node = uniqueNode();
    const before = await proposeAction(t.actions, { node });
    const after = BigInt(before.history[0]!.sequence);
    const replayed = await actionIn(t.actions, 'COMPLETED', { node });

    const w = watch(t, { afterSequence: after.toString(), node });
    subscriptions.push(w.subscription);
    // Replay: the completed action's four events, nothing at or before `after`.
    await waitFor(() => w.events.length, (n) => n >= 4, { what: 'the replay' });
    expect(w.events.slice(0, 4).map((e) => [e.actionId, e.to])).toEqual([
      [replayed.action.actionId, S.ACTION_STATUS_PENDING],
      [replayed.action.actionId, S.ACTION_STATUS_APPROVED],
      [replayed.action.actionId, S.ACTION_STATUS_RUNNING],
      [replayed.action.actionId, S.ACTION_STATUS_COMPLETED],
    ]);

    // Live: events committed while the stream is open.
    await t.actions.approve({ actionId: before.actionId, reason: 'live' });
    const live = await proposeAction(t.actions, { node });
    await waitFor(() => w.events.length, (n) => n >= 6, { what: 'live events' });
    expect(w.events.slice(4).map((e) => [e.actionId, e.from, e.to])).toEqual([
      [before.actionId, S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED],
      [live.actionId, S.ACTION_STATUS_UNSPECIFIED, S.ACTION_STATUS_PENDING],
    ]);
    expect(w.events[4]).toMatchObject({ actor: 'anonymous', reason: 'live', node, service: 'api', actionType: 'rerun_healthcheck' });
    const sequences = w.events.map((e) => BigInt(e.sequence));
    expect(sequences.every((s, i) => s > after && (i === 0 || s > sequences[i - 1]!))).toBe(true);
    // The stream's events are the stored history.
    const stored = await getAction(t.actions, replayed.action.actionId);
    expect(stored.history.map((e) => e.sequence)).toEqual(w.events.slice(0, 4).map((e) => e.sequence));
    expect(w.errors).toEqual([]);
  });

  it('filters by the new status and by action_type, live and in replay', async () => {
    const node = uniqueNode();
    const start = (await proposeAction(t.actions, { node })).history[0]!.sequence;
    const w = watch(t, { afterSequence: start, node, statuses: [S.ACTION_STATUS_APPROVED] });
    const byType = watch(t, { afterSequence: start, node, actionType: 'redeploy_service' });
    subscriptions.push(w.subscription, byType.subscription);
    const a = await actionIn(t.actions, 'APPROVED', { node });
    const b = await actionIn(t.actions, 'REJECTED', { node, actionType: 'redeploy_service' });
    const c = await actionIn(t.actions, 'RUNNING', { node, actionType: 'redeploy_service' });
    await waitFor(() => w.events.length + byType.events.length, (n) => n >= 2 + 5, { what: 'filtered events' });
    expect(w.events.map((e) => e.actionId)).toEqual([a.action.actionId, c.action.actionId]);
    expect(w.events.every((e) => e.to === S.ACTION_STATUS_APPROVED)).toBe(true);
    expect(byType.events.map((e) => [e.actionId, e.to])).toEqual([
      [b.action.actionId, S.ACTION_STATUS_PENDING],
      [b.action.actionId, S.ACTION_STATUS_REJECTED],
      [c.action.actionId, S.ACTION_STATUS_PENDING],
      [c.action.actionId, S.ACTION_STATUS_APPROVED],
      [c.action.actionId, S.ACTION_STATUS_RUNNING],
    ]);
    // A later watcher replaying from the same point sees the same filtered events.
    const replay = watch(t, { afterSequence: start, node, statuses: [S.ACTION_STATUS_APPROVED] });
    subscriptions.push(replay.subscription);
    await waitFor(() => replay.events.length, (n) => n >= 2, { what: 'filtered replay' });
    expect(replay.events.map((e) => e.sequence)).toEqual(w.events.map((e) => e.sequence));
  });
});
