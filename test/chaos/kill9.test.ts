import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus, type Action } from '../../src/gen/actiongate/v1/action.js';
import { getAction, statusName, uniqueNode } from '../support/actionFactory.js';
import { startChildServer, type ChildServer, type ExitStatus } from '../support/childServer.js';
import { tempDataDir } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';

const S = ActionStatus;
const ORDER = [S.ACTION_STATUS_PENDING, S.ACTION_STATUS_APPROVED, S.ACTION_STATUS_RUNNING, S.ACTION_STATUS_COMPLETED];
const WRITERS = 16;
const KILL_AFTER_ACKS = 400;
const CALL_TIMEOUT = { timeoutMs: 15_000 };

/** The furthest status each action was acknowledged in. */
type Acked = Map<string, ActionStatus>;

/**
 * Writers that run Propose, Approve, Execute, Complete over and over and record each
 * acknowledged transition, until their first failed call (the server died).
 */
function startWriters(client: ActionClient, node: string, acked: Acked, onAck: (total: number) => void): Promise<void>[] {
  let total = 0;
  const ack = (id: string, s: ActionStatus): void => {
    acked.set(id, s);
    onAck(++total);
  };
  return Array.from({ length: WRITERS }, async (_, writer) => {
    try {
      for (;;) {
        const { action } = await client.propose({ actionType: 'rerun_healthcheck', node, service: 'api', payload: { writer } }, CALL_TIMEOUT);
        const id = action!.actionId;
        ack(id, S.ACTION_STATUS_PENDING);
        await client.approve({ actionId: id, reason: 'chaos' }, CALL_TIMEOUT);
        ack(id, S.ACTION_STATUS_APPROVED);
        const claimed = await client.execute({ executorId: `writer-${writer}`, actionId: id }, CALL_TIMEOUT);
        ack(id, S.ACTION_STATUS_RUNNING);
        await client.complete({ actionId: id, leaseId: claimed.leaseId, result: { writer } }, CALL_TIMEOUT);
        ack(id, S.ACTION_STATUS_COMPLETED);
      }
    } catch {
      // The server went away mid-call: what was in flight is unacknowledged, nothing more.
    }
  });
}

async function listAll(client: ActionClient, node: string): Promise<Action[]> {
  const all: Action[] = [];
  let pageToken = '';
  do {
    const page = await client.listActions({ node, pageSize: 500, pageToken });
    all.push(...page.actions);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** History is whole: creation first, each event from the previous one's status, the last one's `to` the action's status. */
function expectConsistent(action: Action): void {
  const history = action.history;
  const label = `${action.actionId} ${statusName(action.status)}`;
  expect(history.length, label).toBeGreaterThan(0);
  expect([history[0]!.from, history[0]!.to], label).toEqual([S.ACTION_STATUS_UNSPECIFIED, S.ACTION_STATUS_PENDING]);
  for (let i = 1; i < history.length; i++) {
    expect(history[i]!.from, label).toBe(history[i - 1]!.to);
    expect(BigInt(history[i]!.sequence) > BigInt(history[i - 1]!.sequence), label).toBe(true);
  }
  expect(history.at(-1)!.to, label).toBe(action.status);
  expect(history.map((e) => e.to), label).toEqual(ORDER.slice(0, ORDER.indexOf(action.status) + 1));
  if (action.status === S.ACTION_STATUS_RUNNING) expect(action.lease?.executorId, label).toBeTruthy();
  if (action.status === S.ACTION_STATUS_COMPLETED) expect(action.result, label).toHaveProperty('writer');
}

describe('durability across process death', () => {
  const servers: ChildServer[] = [];
  const dirs: string[] = [];
  const start = async (dir: string): Promise<ChildServer> => {
    const server = await startChildServer(dir);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('kill -9 in the middle of a stream of writes: every acknowledged transition survives, nothing is half-written', async () => {
    const dir = tempDataDir('actiongate-kill9-');
    dirs.push(dir);
    const node = uniqueNode('chaos');
    const first = await start(dir);
    const acked: Acked = new Map();
    let killed: Promise<unknown> | undefined;
    const writers = startWriters(first.client(), node, acked, (total) => {
      if (total === KILL_AFTER_ACKS) killed = first.kill('SIGKILL');
    });
    await Promise.all(writers);
    expect(killed, `writers stopped before ${KILL_AFTER_ACKS} acknowledgements:\n${first.output()}`).toBeDefined();
    expect(await killed).toMatchObject({ signal: 'SIGKILL' });

    const second = await start(dir);
    const client = second.client();
    for (const [id, ackedStatus] of acked) {
      const action = await getAction(client, id);
      // A transition may have committed without its answer arriving: at least as far as acknowledged.
      expect(ORDER.indexOf(action.status), `${id} acked ${statusName(ackedStatus)}`).toBeGreaterThanOrEqual(ORDER.indexOf(ackedStatus));
      expect(action.history.some((e) => e.to === ackedStatus), id).toBe(true);
    }
    const stored = await listAll(client, node);
    expect(stored.length).toBeGreaterThanOrEqual(new Set(acked.keys()).size);
    for (const listed of stored) expectConsistent(await getAction(client, listed.actionId));

    // The restarted server carries on: an action interrupted mid-run can still finish.
    const fresh = (await client.propose({ actionType: 'rerun_healthcheck', node, service: 'api' })).action!;
    await client.approve({ actionId: fresh.actionId });
    const claimed = await client.execute({ executorId: 'after', actionId: fresh.actionId });
    const done = await client.complete({ actionId: fresh.actionId, leaseId: claimed.leaseId, result: { writer: -1 } });
    expect(done.action?.status).toBe(S.ACTION_STATUS_COMPLETED);
  });

  it('SIGTERM ends streams and long polls, finishes in-flight writes, closes the database and exits 0', async () => {
    const dir = tempDataDir('actiongate-sigterm-');
    dirs.push(dir);
    const node = uniqueNode('term');
    const first = await start(dir);
    const client = first.client();
    const original = (await client.propose({ actionType: 'collect_diagnostics', node: uniqueNode('kept'), service: 'api', payload: { keep: 'me' } })).action!;
    await client.approve({ actionId: original.actionId, reason: 'before shutdown' });

    // A watcher that has seen its replay and a long poll that is waiting, both open when the signal comes.
    const seen: unknown[] = [];
    let watchEnd = 'open';
    const watching = client.watchActions({ node: original.node }).subscribe({
      next: (m) => seen.push(m),
      complete: () => (watchEnd = 'completed'),
      error: (err: { code?: number }) => (watchEnd = `error ${err.code}`),
    });
    const longPoll = client.execute({ executorId: 'waiting', nodes: [uniqueNode('nothing')], waitSeconds: 60 }).then(
      (answer) => ({ answered: true, action: answer.action }),
      (err: { code?: number }) => ({ answered: false, code: err.code }),
    );
    await client.propose({ actionType: 'rerun_healthcheck', node: uniqueNode('other'), service: 'api' });
    await waitFor(() => seen.length, (n) => n >= 2, { what: 'the watch replay' });

    // Writers keep calls in flight; SIGTERM lands in the middle of them.
    const acked: Acked = new Map();
    let terminated: Promise<ExitStatus> | undefined;
    const writers = startWriters(client, node, acked, (total) => {
      if (total === 100) terminated = first.kill('SIGTERM');
    });
    await Promise.all(writers);
    expect(terminated, first.output()).toBeDefined();
    expect(await terminated, first.output()).toEqual({ code: 0, signal: null });
    // Ended by the server, not cut off: the stream completes with OK and the long poll answers "nothing to run".
    expect(await longPoll).toEqual({ answered: true, action: undefined });
    expect(watchEnd).toBe('completed');
    watching.unsubscribe();
    // A cleanly closed SQLite database has checkpointed and removed its WAL.
    expect(existsSync(join(dir, 'actiongate.db'))).toBe(true);
    expect(existsSync(join(dir, 'actiongate.db-wal'))).toBe(false);

    const second = await start(dir);
    const again = second.client();
    const kept = await getAction(again, original.actionId);
    expect(kept.status).toBe(S.ACTION_STATUS_APPROVED);
    expect(kept.payload).toEqual({ keep: 'me' });
    expect(kept.history.at(-1)).toMatchObject({ to: S.ACTION_STATUS_APPROVED, reason: 'before shutdown' });
    for (const [id, ackedStatus] of acked) {
      const action = await getAction(again, id);
      expect(ORDER.indexOf(action.status), id).toBeGreaterThanOrEqual(ORDER.indexOf(ackedStatus));
      expectConsistent(action);
    }
  });
});
