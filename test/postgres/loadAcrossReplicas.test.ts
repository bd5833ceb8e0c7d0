import { status, type ServiceError } from '@grpc/grpc-js';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { FAST_RECONNECT } from '../support/childServer.js';
import { waitFor } from '../support/waitFor.js';
import { startReplicaSet, type ReplicaSet } from './replicaSet.js';

const ACTION_TYPE = 'collect_diagnostics';

async function queryRows<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Proposes and approves `count` actions, `parallel` at a time, alternating between the clients given. */
async function approvedActions(clients: readonly ActionClient[], count: number, parallel = 25): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - start) }, async (_, i) => {
        const client = clients[(start + i) % clients.length]!;
        const { action } = await client.propose({ actionType: ACTION_TYPE, node: 'n1', service: 'api', confidence: 0.5 });
        await clients[(start + i + 1) % clients.length]!.approve({ actionId: action!.actionId });
        return action!.actionId;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

const codeOf = (err: unknown): status | undefined => (err as ServiceError).code;
/** What a replica dying under a call looks like to the caller. */
const transient = (err: unknown): boolean => codeOf(err) === status.UNAVAILABLE || codeOf(err) === status.DEADLINE_EXCEEDED || codeOf(err) === status.CANCELLED;

interface ExecutorTally {
  readonly claims: string[];
  /** Completes the server answered OK: acknowledged, so they must be in the database. */
  readonly acknowledged: string[];
}

/** One executor: claims any approved action, completes it; retries what a lost replica interrupted, until `stop`. */
async function executorLoop(client: ActionClient, executorId: string, stop: { done: boolean }, leaseTtlSeconds: number): Promise<ExecutorTally> {
  const tally: ExecutorTally = { claims: [], acknowledged: [] };
  while (!stop.done) {
    let claimed;
    try {
      claimed = await client.execute({ executorId, actionTypes: [ACTION_TYPE], waitSeconds: 1, leaseTtlSeconds }, { timeoutMs: 5000 });
    } catch (err) {
      if (transient(err)) continue;
      throw err;
    }
    if (claimed.action === undefined) continue;
    const actionId = claimed.action.actionId;
    tally.claims.push(actionId);
    for (;;) {
      try {
        await client.complete({ actionId, leaseId: claimed.leaseId, result: { by: executorId } }, { timeoutMs: 5000 });
        tally.acknowledged.push(actionId);
        break;
      } catch (err) {
        if (transient(err) && !stop.done) continue;
        // The Complete may have committed on the replica that died before it answered: then the lease no longer holds.
        if (codeOf(err) === status.ABORTED || codeOf(err) === status.FAILED_PRECONDITION || transient(err)) break;
        throw err;
      }
    }
  }
  return tally;
}

describe('executors spread over two replicas', () => {
  let set: ReplicaSet | undefined;
  afterEach(async () => {
    await set?.stop();
    set = undefined;
  });

  it('8 executors over both replicas claim 1,000 actions, each exactly once', async () => {
    set = await startReplicaSet(2);
    const clients = set.replicas.map((r) => new ActionClient(r.address));
    try {
      const ids = await approvedActions(clients, 1000);
      const stop = { done: false };
      const loops = Array.from({ length: 8 }, (_, i) => executorLoop(clients[i % 2]!, `exec-${i}`, stop, 60));
      await waitFor(
        () => queryRows<{ n: number }>(set!.database.url, "SELECT COUNT(*)::int AS n FROM actions WHERE status = 'COMPLETED'"),
        (rows) => rows[0]!.n === 1000,
        { timeoutMs: 120_000, intervalMs: 200, what: '1,000 completions' },
      );
      stop.done = true;
      const tallies = await Promise.all(loops);
      const claims = tallies.flatMap((t) => t.claims);
      expect(claims).toHaveLength(1000);
      expect(new Set(claims)).toEqual(new Set(ids));
      // Both replicas handed out work.
      expect(tallies.filter((_, i) => i % 2 === 0).flatMap((t) => t.claims).length).toBeGreaterThan(0);
      expect(tallies.filter((_, i) => i % 2 === 1).flatMap((t) => t.claims).length).toBeGreaterThan(0);
      const perAction = await queryRows<{ running: number; completed: number }>(
        set.database.url,
        `SELECT COUNT(*) FILTER (WHERE to_status = 'RUNNING')::int AS running, COUNT(*) FILTER (WHERE to_status = 'COMPLETED')::int AS completed
         FROM action_events GROUP BY action_id`,
      );
      expect(perAction).toHaveLength(1000);
      expect(perAction.every((r) => r.running === 1 && r.completed === 1)).toBe(true);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('kill -9 of one replica under load: its executors move to the other, nothing acknowledged is lost or applied twice', async () => {
    set = await startReplicaSet(2, ['--sweep-interval-ms', '200']);
    const total = 300;
    const setup = set.replicas.map((r) => new ActionClient(r.address));
    const listed = Array.from({ length: 6 }, () => new ActionClient(set!.addresses(), { channelOptions: FAST_RECONNECT }));
    try {
      await approvedActions(setup, total);
      const stop = { done: false };
      // A short lease: a claim whose answer died with the replica is retried by the sweeper soon.
      const loops = listed.map((client, i) => executorLoop(client, `exec-k${i}`, stop, 2));
      const completed = (): Promise<number> =>
        queryRows<{ n: number }>(set!.database.url, "SELECT COUNT(*)::int AS n FROM actions WHERE status = 'COMPLETED'").then((r) => r[0]!.n);
      await waitFor(completed, (n) => n >= total / 3, { timeoutMs: 60_000, intervalMs: 50, what: 'a third of the work done' });
      await set.replicas[0]!.kill('SIGKILL');
      await waitFor(completed, (n) => n === total, { timeoutMs: 120_000, intervalMs: 200, what: 'every action completed on the survivor' });
      stop.done = true;
      const tallies = await Promise.all(loops);
      const acknowledged = tallies.flatMap((t) => t.acknowledged);
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
      const rows = await queryRows<{ id: string; status: string; completions: number }>(
        set.database.url,
        `SELECT a.id, a.status, (SELECT COUNT(*)::int FROM action_events e WHERE e.action_id = a.id AND e.to_status = 'COMPLETED') AS completions FROM actions a`,
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of acknowledged) expect(byId.get(id)?.status).toBe('COMPLETED');
      expect(rows.every((r) => r.completions === 1)).toBe(true);
      const survivor = new ActionClient(set.replicas[1]!.address);
      try {
        const { ok } = await survivor.verifyHistory();
        expect(ok).toBe(true);
      } finally {
        survivor.close();
      }
    } finally {
      for (const c of [...setup, ...listed]) c.close();
    }
  });
});
