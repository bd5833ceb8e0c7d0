import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { processExists, startExecutor } from './support/childExecutor.js';
import { approvedAction, FIXTURES, scratchDir, stopExecutors, waitForStatus } from './support/executorFixture.js';

describe('actiongate executor: graceful stop', () => {
  let t: TestServer;
  let scratch: ReturnType<typeof scratchDir>;
  const spawnedPids: number[] = [];

  beforeEach(async () => {
    t = await startTestServer();
    scratch = scratchDir();
  });
  afterEach(async () => {
    await stopExecutors();
    for (const pid of spawnedPids.splice(0)) if (processExists(pid)) process.kill(pid, 'SIGKILL');
    await t.stop();
    scratch.cleanup();
  });

  it('exits promptly and cleanly on SIGTERM when idle', async () => {
    const executor = await startExecutor(t.address, 'stop-1');
    const signalledAt = Date.now();
    executor.process.kill('SIGTERM');
    expect(await executor.exited).toEqual({ code: 0, signal: null });
    // Its Execute long poll (5 s here) is cancelled rather than waited out.
    expect(Date.now() - signalledAt).toBeLessThan(4000);
    await executor.waitForLog({ msg: 'executor stopped' });
  });

  it('lets a running action finish within the grace period', async () => {
    const file = scratch.file('handlers.json', JSON.stringify({ redeploy_service: { simulate: { stepDelayMs: 200 } } }));
    const executor = await startExecutor(t.address, 'stop-2', ['--handlers', file, '--shutdown-grace-seconds', '30']);
    const action = await approvedAction(t.actions, 'redeploy_service');
    await executor.waitForLog({ msg: 'simulated step', actionId: action.actionId, step: 1 });
    executor.process.kill('SIGTERM');
    expect(await executor.exited).toEqual({ code: 0, signal: null });
    const { action: final } = await t.actions.getAction({ actionId: action.actionId });
    expect(final?.status).toBe(ActionStatus.ACTION_STATUS_COMPLETED);
  });

  it('after the grace period kills the running command and hands the action back for another attempt', async () => {
    const pidFile = scratch.file('sleeper.pid');
    const file = scratch.file('handlers.json', JSON.stringify({
      redeploy_service: { command: [process.execPath, `${FIXTURES}sleeper.mjs`, pidFile, '30'], timeoutSeconds: 120, killGraceSeconds: 1 },
    }));
    const executor = await startExecutor(t.address, 'stop-3', ['--handlers', file, '--shutdown-grace-seconds', '1']);
    const action = await approvedAction(t.actions, 'redeploy_service');
    const pid = (await executor.waitForLog({ msg: 'command started', actionId: action.actionId })).pid as number;
    spawnedPids.push(pid);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') === String(pid), (ok) => ok, { what: 'the command to record its pid' });

    executor.process.kill('SIGTERM');
    expect(await executor.exited).toEqual({ code: 0, signal: null });
    expect(processExists(pid)).toBe(false);
    const back = await waitForStatus(t.actions, action.actionId, ActionStatus.ACTION_STATUS_APPROVED);
    expect(back.attempt).toBe(1);
    expect(back.error).toContain('executor stop-3 shut down before the action finished');
    expect(executor.find({ msg: 'grace period over' })).toHaveLength(1);
  });
});
