import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { waitFor } from '../support/waitFor.js';
import { processExists, startExecutor } from './support/childExecutor.js';
import { approvedAction, FIXTURES, useExecutorWorld, waitForStatus } from './support/executorFixture.js';

describe('actiongate executor: command handlers', () => {
  const world = useExecutorWorld();

  function handlers(config: Record<string, unknown>): string {
    return world.scratch.file('handlers.json', JSON.stringify(config));
  }

  it('runs the configured command with the action on stdin and puts its output in the result', async () => {
    const file = handlers({
      collect_diagnostics: { command: [process.execPath, `${FIXTURES}echoAction.mjs`], timeoutSeconds: 20 },
      rerun_healthcheck: { command: [process.execPath, `${FIXTURES}echoAction.mjs`, '3'], timeoutSeconds: 20 },
    });
    const executor = await startExecutor(world.t.address, 'cmd-1', ['--handlers', file]);
    expect(executor.find({ msg: 'executor starting' })[0]?.handlers).toMatchObject({ collect_diagnostics: 'command', rerun_healthcheck: 'command', redeploy_service: 'simulate' });

    const ok = await approvedAction(world.t.actions, 'collect_diagnostics', { bundle: 'full' });
    const done = await waitForStatus(world.t.actions, ok.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result).toMatchObject({
      exitCode: 0,
      stdoutTruncated: false,
      output: { sawActionId: ok.actionId, sawNode: ok.node, envActionId: ok.actionId, payload: { bundle: 'full' } },
    });
    expect(done.result!.stdout).toContain(ok.actionId);
    expect(done.result!.simulated).toBeUndefined();

    const bad = await approvedAction(world.t.actions, 'rerun_healthcheck');
    const failed = await waitForStatus(world.t.actions, bad.actionId, ActionStatus.ACTION_STATUS_FAILED);
    expect(failed.error).toContain('command exited with code 3');
    expect(failed.error).toContain(`refusing rerun_healthcheck on ${bad.node}`);
    expect(failed.attempt).toBe(1);
    await executor.waitForLog({ msg: 'action failed', actionId: bad.actionId, to: 'FAILED', retryable: false });
  });

  it('fails the action for good when its program cannot be started', async () => {
    const file = handlers({ collect_diagnostics: { command: ['/nonexistent/redeploy', '--wait'], timeoutSeconds: 20 } });
    await startExecutor(world.t.address, 'cmd-4', ['--handlers', file]);
    const action = await approvedAction(world.t.actions, 'collect_diagnostics');
    const failed = await waitForStatus(world.t.actions, action.actionId, ActionStatus.ACTION_STATUS_FAILED);
    expect(failed.error).toBe('cannot start command /nonexistent/redeploy: ENOENT');
    expect(failed.attempt).toBe(1);
  });

  it('kills a running command on terminate; the action ends TERMINATED and is not completed', async () => {
    const pidFile = world.scratch.file('sleeper.pid');
    const file = handlers({ redeploy_service: { command: [process.execPath, `${FIXTURES}sleeper.mjs`, pidFile, '30'], timeoutSeconds: 120, killGraceSeconds: 2 } });
    const executor = await startExecutor(world.t.address, 'cmd-2', ['--handlers', file]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');

    const started = await executor.waitForLog({ msg: 'command started', actionId: action.actionId });
    const pid = started.pid as number;
    world.spawnedPids.push(pid);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') === String(pid), (ok) => ok, { what: 'the command to record its pid' });
    expect(processExists(pid)).toBe(true);

    await world.control.terminate(action.actionId, 'wrong service');
    await executor.waitForLog({ msg: 'action terminated; stopped without completing it', actionId: action.actionId });
    const exited = executor.find({ msg: 'command exited', actionId: action.actionId })[0]!;
    expect(exited).toMatchObject({ pid, stoppedBy: 'abort', exitSignal: 'SIGTERM' });
    expect(processExists(pid)).toBe(false);

    const { action: final } = await world.t.actions.getAction({ actionId: action.actionId });
    expect(final?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    expect(final?.result).toBeUndefined();
    expect(final?.history.map((h) => h.to)).not.toContain(ActionStatus.ACTION_STATUS_COMPLETED);
    expect(executor.find((e) => e.actionId === action.actionId && /^(Complete|Fail)\b|action (completed|failed)/.test(e.msg))).toEqual([]);
    // The executor saw the terminate on its control stream and acknowledged it.
    const state = await waitFor(() => world.control.getControlState(action.actionId), (s) => (s.action?.acknowledgements.length ?? 0) > 0, { what: 'the terminate to be acknowledged' });
    expect(state.action?.acknowledgements[0]?.executorId).toBe('cmd-2');
  });

  it('kills a running command when halted with terminate_running', async () => {
    const pidFile = world.scratch.file('sleeper.pid');
    const file = handlers({ redeploy_service: { command: [process.execPath, `${FIXTURES}sleeper.mjs`, pidFile, '30'], timeoutSeconds: 120, killGraceSeconds: 2 } });
    const executor = await startExecutor(world.t.address, 'cmd-3', ['--handlers', file]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const pid = (await executor.waitForLog({ msg: 'command started', actionId: action.actionId })).pid as number;
    world.spawnedPids.push(pid);

    try {
      const { affectedActionIds } = await world.control.halt('stop the world', true);
      expect(affectedActionIds).toEqual([action.actionId]);
      await executor.waitForLog({ msg: 'action terminated; stopped without completing it', actionId: action.actionId });
      expect(processExists(pid)).toBe(false);
      await executor.waitForLog({ msg: 'claiming paused', reason: 'halted' });
      expect((await world.t.actions.getAction({ actionId: action.actionId })).action?.status).toBe(ActionStatus.ACTION_STATUS_TERMINATED);
    } finally {
      await world.control.unhalt('over');
    }
  });
});
