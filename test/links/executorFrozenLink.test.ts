import { existsSync, readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { processExists, startExecutor } from '../executor/support/childExecutor.js';
import { approvedAction, FIXTURES, useExecutorWorld } from '../executor/support/executorFixture.js';
import { startFreezableProxy, type FreezableProxy } from '../support/freezableProxy.js';
import { waitFor } from '../support/waitFor.js';

const STOP_BOUND_MS = 30_000;

describe('actiongate executor behind a frozen link (default settings)', () => {
  const world = useExecutorWorld();
  let proxy: FreezableProxy;

  beforeEach(async () => {
    proxy = await startFreezableProxy(world.t.address);
    // Executors stopping still talk to the server through the proxy.
    world.afterExecutors(() => proxy.close());
  });

  it('kills the running command within 30 s of a terminate sent while the link is frozen', async () => {
    const pidFile = world.scratch.file('sleeper.pid');
    const handlers = world.scratch.file('handlers.json', JSON.stringify({
      redeploy_service: { command: [process.execPath, `${FIXTURES}sleeper.mjs`, pidFile, '600'], timeoutSeconds: 900, killGraceSeconds: 2 },
    }));
    const executor = await startExecutor(proxy.address, 'frozen-executor', ['--handlers', handlers]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const started = await executor.waitForLog({ msg: 'command started', actionId: action.actionId });
    const pid = started.pid as number;
    world.spawnedPids.push(pid);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') === String(pid), (ok) => ok, { what: 'the command to record its pid' });

    proxy.freeze();
    const mark = executor.logs.length;
    await world.control.terminate(action.actionId, 'sent while the link is frozen');
    const terminatedAt = performance.now();

    await waitFor(() => processExists(pid), (alive) => !alive, { timeoutMs: STOP_BOUND_MS, intervalMs: 100, what: 'the command to be killed' });
    const tookMs = performance.now() - terminatedAt;
    expect(tookMs).toBeLessThan(STOP_BOUND_MS);
    await executor.waitForLog({ msg: 'action terminated; stopped without completing it', actionId: action.actionId }, { from: mark });
    expect(executor.find({ msg: 'command exited', actionId: action.actionId })[0]).toMatchObject({ pid, stoppedBy: 'abort' });
    // The executor found the dead link itself and came back over a new connection.
    await executor.waitForLog({ msg: 'control stream', connection: 'backoff' }, { from: mark });
    await executor.waitForLog({ msg: 'control stream', connection: 'live' }, { from: mark });
    const { action: final } = await world.t.actions.getAction({ actionId: action.actionId });
    expect(final!.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    expect(final!.result).toBeUndefined();
    console.info(`frozen link: executor's command killed ${(tookMs / 1000).toFixed(1)} s after the terminate`);
  });

  it('holds running actions at their next checkpoint and claims nothing while cut off, then carries on', async () => {
    const handlers = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: { simulate: { stepDelayMs: 1500 } } }));
    const executor = await startExecutor(proxy.address, 'cut-off-executor', [
      '--handlers', handlers, '--keepalive-time-ms', '1000', '--keepalive-timeout-ms', '1000', '--disconnect-grace-ms', '500',
    ]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const id = action.actionId;
    await executor.waitForLog({ msg: 'simulated step', actionId: id, step: 1 });

    proxy.cutOff();
    await executor.waitForLog({ msg: 'claiming paused', reason: 'control stream not live' });
    await executor.waitForLog({ msg: 'control stream lost for longer than the grace: holding at the next checkpoint', actionId: id, disconnectGraceMs: 500 });
    const held = await executor.waitForLog({ msg: 'control stream lost: waiting at checkpoint until it is live again', actionId: id });
    const stepsHeld = executor.find({ msg: 'simulated step', actionId: id }).length;
    expect(stepsHeld).toBeLessThan(5);
    // Approved meanwhile: not claimed while the executor cannot hear the kill switch.
    const waiting = await approvedAction(world.t.actions, 'collect_diagnostics');

    proxy.heal();
    const resumed = await executor.waitForLog({ msg: 'resumed: leaving checkpoint', actionId: id }, { from: executor.logs.indexOf(held) });
    const live = executor.find({ msg: 'control stream', connection: 'live' }).at(-1)!;
    expect(executor.logs.indexOf(live)).toBeLessThan(executor.logs.indexOf(resumed));
    const during = executor.logs.slice(executor.logs.indexOf(held), executor.logs.indexOf(live));
    expect(during.filter((e) => e.msg === 'simulated step' || e.msg === 'action claimed')).toEqual([]);
    await waitFor(async () => (await world.t.actions.getAction({ actionId: id })).action!.status, (s) => s === ActionStatus.ACTION_STATUS_COMPLETED, { what: 'the held action to complete' });
    expect(executor.find({ msg: 'simulated step', actionId: id }).map((e) => e.step)).toEqual([1, 2, 3, 4, 5]);
    await waitFor(async () => (await world.t.actions.getAction({ actionId: waiting.actionId })).action!.status, (s) => s === ActionStatus.ACTION_STATUS_COMPLETED, { what: 'the waiting action to be claimed and run' });
  });
});
