import { rmSync } from 'node:fs';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { runningAction } from '../killswitch/support.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';
import { tempDataDir } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startPgProxy, type PgProxy } from './pgProxy.js';

interface Load {
  readonly acknowledged: string[];
  readonly failures: Map<string, number>;
  stop(): Promise<void>;
}

/** Proposals sent without pause through `client` until stopped; what was answered OK is acknowledged. */
function proposeUnderLoad(client: ActionClient): Load {
  const acknowledged: string[] = [];
  const failures = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { action } = await client.propose({ actionType: 'collect_diagnostics', node: 'n1', service: 'api', confidence: 0.5 }, { timeoutMs: 10_000 });
        acknowledged.push(action!.actionId);
      } catch (err) {
        const name = status[(err as ServiceError).code] ?? String(err);
        failures.set(name, (failures.get(name) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  })();
  return { acknowledged, failures, stop: async () => void ((running = false), await loop) };
}

describe('PostgreSQL restarted under load', () => {
  let database: TestDatabase;
  let proxy: PgProxy;
  const replicas: ChildServer[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    database = await freshDatabase();
    proxy = await startPgProxy(database.url);
    for (let i = 0; i < 2; i += 1) {
      const dir = tempDataDir('actiongate-restart-');
      dirs.push(dir);
      replicas.push(await startChildServer(dir, ['--database-url', proxy.url]));
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await proxy?.close();
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('answers UNAVAILABLE while it is down, recovers by itself, and loses nothing acknowledged', async () => {
    const clients = replicas.map((r) => r.client());
    const loads = clients.map(proposeUnderLoad);
    const total = (): number => loads.reduce((n, l) => n + l.acknowledged.length, 0);
    await waitFor(async () => total(), (n) => n >= 40, { what: 'proposals before the outage' });

    await proxy.down();
    await waitFor(async () => loads.map((l) => l.failures.get('UNAVAILABLE') ?? 0), (counts) => counts.every((n) => n >= 3), {
      what: 'both replicas to answer UNAVAILABLE',
    });
    const duringOutage = loads.map((l) => l.acknowledged.length);
    await proxy.up();
    await waitFor(async () => loads.map((l) => l.acknowledged.length), (now) => now.every((n, i) => n >= duringOutage[i]! + 20), {
      timeoutMs: 30_000,
      what: 'both replicas to serve again by themselves',
    });
    await Promise.all(loads.map((l) => l.stop()));

    for (const load of loads) expect([...load.failures.keys()]).toEqual(['UNAVAILABLE']);
    for (const replica of replicas) expect(replica.process.exitCode).toBeNull();
    const acknowledged = loads.flatMap((l) => l.acknowledged);
    const stored = await Promise.all(acknowledged.map((id) => clients[0]!.getAction({ actionId: id }).then((r) => r.action?.actionId)));
    expect(stored).toEqual(acknowledged);
    const { ok } = await clients[1]!.verifyHistory();
    expect(ok).toBe(true);
  });

  it('after the restart a terminate sent to one replica still reaches an executor on the other', async () => {
    const controlA = new ControlClient(replicas[0]!.address);
    const controlB = new ControlClient(replicas[1]!.address);
    const subscriber = new ControlSubscriber(controlB, 'exec-r1');
    try {
      subscriber.start();
      await subscriber.waitUntilLive();
      const { actionId } = await runningAction(replicas[0]!.client(), 'exec-r1');
      const guard = subscriber.guard(actionId);
      const aborted = new Promise((resolve) => guard.signal.addEventListener('abort', () => resolve(guard.signal.reason)));
      await controlA.terminate(actionId, 'after restart');
      expect(await aborted).toBeInstanceOf(ActionTerminatedError);
    } finally {
      await subscriber.stop();
      controlA.close();
      controlB.close();
    }
  });
});
