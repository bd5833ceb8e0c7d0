import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionTerminatedError } from '../../src/client/ActionGuard.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startChildServer, type ChildServer } from '../support/childServer.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';
import { tempDataDir } from '../support/testServer.js';
import { reaches, runningAction } from '../killswitch/support.js';
import { runCli } from '../startup/runCli.js';

/** Two `actiongate serve` processes on one PostgreSQL database. */
describe('two replicas on one PostgreSQL database', () => {
  let database: TestDatabase;
  let a: ChildServer;
  let b: ChildServer;
  const dirs: string[] = [];

  const replica = async (): Promise<ChildServer> => {
    const dir = tempDataDir('actiongate-replica-');
    dirs.push(dir);
    return startChildServer(dir, ['--database-url', database.url]);
  };

  beforeAll(async () => {
    database = await freshDatabase();
    [a, b] = await Promise.all([replica(), replica()]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a terminate sent to A to the executor subscribed on B', async () => {
    const controlA = new ControlClient(a.address);
    const controlB = new ControlClient(b.address);
    const subscriber = new ControlSubscriber(controlB, 'exec-b1');
    try {
      subscriber.start();
      await subscriber.waitUntilLive();
      const { actionId } = await runningAction(a.client(), 'exec-b1');
      const guard = subscriber.guard(actionId);
      const aborted = new Promise((resolve) => guard.signal.addEventListener('abort', () => resolve(guard.signal.reason)));
      await controlA.terminate(actionId, 'stop from A');
      expect(await aborted).toBeInstanceOf(ActionTerminatedError);
      const { action } = await b.client().getAction({ actionId });
      expect(action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    } finally {
      await subscriber.stop();
      controlA.close();
      controlB.close();
    }
  });

  it('pauses executors on B when A halts, refuses claims on B, and resumes them on unhalt', async () => {
    const controlA = new ControlClient(a.address);
    const controlB = new ControlClient(b.address);
    const subscriber = new ControlSubscriber(controlB, 'exec-b2');
    try {
      subscriber.start();
      await subscriber.waitUntilLive();
      const { actionId } = await runningAction(b.client(), 'exec-b2');
      const guard = subscriber.guard(actionId);
      await controlA.halt('incident on A', false);
      await reaches(guard.state$, 'PAUSED');
      const { action: waiting } = await b.client().propose({ actionType: 'collect_diagnostics', node: 'n1', service: 'api', confidence: 0.5 });
      await expect(b.client().approve({ actionId: waiting!.actionId })).rejects.toMatchObject({ details: expect.stringContaining('halted') });
      await controlB.unhalt('over');
      await reaches(guard.state$, 'RUNNING');
      await guard.checkpoint();
    } finally {
      await subscriber.stop();
      controlA.close();
      controlB.close();
    }
  });

  it('verify --database-url checks the history both replicas wrote', async () => {
    const result = await runCli(['verify', '--database-url', database.url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok \(the history's hash chain holds over \d+ events\)/);
  });
});
