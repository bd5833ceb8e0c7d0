import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Action, ActionStatus, ControlState } from '../../src/gen/actiongate/v1/action.js';
import { waitFor } from '../support/waitFor.js';
import { type ChildExecutor, startExecutor } from './support/childExecutor.js';
import { counterHandler, counterPids, processState, ticksWritten } from './support/counterCommand.js';
import { approvedAction, useExecutorWorld, waitForStatus } from './support/executorFixture.js';

describe('actiongate executor: a paused command stops', () => {
  const world = useExecutorWorld();

  async function getAction(actionId: string): Promise<Action> {
    return (await world.t.actions.getAction({ actionId })).action!;
  }

  /** Waits until heartbeats have extended the lease by at least `ms` past `from`: time passes, and the lease is kept. */
  async function leaseExtendedBy(actionId: string, from: Action, ms: number): Promise<void> {
    const base = from.lease!.leaseExpiresAt!.getTime();
    await waitFor(() => getAction(actionId), (a) => a.lease !== undefined && a.lease.leaseExpiresAt!.getTime() >= base + ms, {
      timeoutMs: ms + 10_000, what: `heartbeats to extend the lease by ${ms} ms while paused`,
    });
  }

  /** Asserts the command (and its group) is stopped and makes no progress while heartbeats go on, for at least `ms`. */
  async function expectHeldStill(actionId: string, dir: string, pid: number, ms: number): Promise<void> {
    // SIGSTOP is queued at once but takes effect when the process is next scheduled.
    await waitFor(() => processState(pid), (state) => state === 'T', { what: `command ${pid} to be stopped` });
    const ticks = ticksWritten(dir);
    const paused = await getAction(actionId);
    expect(paused.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
    await leaseExtendedBy(actionId, paused, ms);
    expect(ticksWritten(dir)).toBe(ticks);
    expect(processState(pid)).toBe('T');
  }

  async function commandExecutor(executorId: string, dir: string, ticks: number, spec: { timeoutSeconds?: number } = {}): Promise<ChildExecutor> {
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(dir, ticks, [], spec) }));
    // A short shutdown grace: a test that fails while its command is stopped still ends promptly.
    return startExecutor(world.t.address, executorId, ['--handlers', file, '--lease-ttl-seconds', '3', '--shutdown-grace-seconds', '2']);
  }

  function workDir(): string {
    const dir = join(world.scratch.dir, 'work');
    mkdirSync(dir);
    return dir;
  }

  it('stops a running command on Pause and continues it on Resume; the same under Halt and Unhalt; then it completes', async () => {
    const dir = workDir();
    const executor = await commandExecutor('pause-cmd-1', dir, 30);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const id = action.actionId;
    const { pid } = await counterPids(dir);
    world.spawnedPids.push(pid);
    await waitFor(() => ticksWritten(dir), (n) => n >= 3, { what: 'the command to make progress' });

    await world.control.pause(id, 'look first');
    const paused = await executor.waitForLog({ msg: 'command paused: SIGSTOP to its process group', actionId: id });
    expect(paused.pid).toBe(pid);
    expect((await getAction(id)).controlState).toBe(ControlState.CONTROL_STATE_PAUSED);
    await expectHeldStill(id, dir, pid, 2000);

    await world.control.resume(id, 'carry on');
    const resumed = await executor.waitForLog({ msg: 'command resumed: SIGCONT to its process group', actionId: id });
    const afterResume = ticksWritten(dir);
    await waitFor(() => ticksWritten(dir), (n) => n > afterResume, { what: 'the command to make progress after resume' });

    await world.control.halt('incident in progress');
    await executor.waitForLog({ msg: 'command paused: SIGSTOP to its process group', actionId: id }, { from: executor.logs.indexOf(resumed) });
    await expectHeldStill(id, dir, pid, 2000);
    const { resumedActionIds } = await world.control.unhalt('incident over');
    expect(resumedActionIds).toEqual([id]);
    await executor.waitForLog({ msg: 'command resumed: SIGCONT to its process group', actionId: id }, { from: executor.logs.indexOf(resumed) + 1 });

    const done = await waitForStatus(world.t.actions, id, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result?.output).toEqual({ ticks: 30 });
    expect(done.controlState).toBe(ControlState.CONTROL_STATE_NONE);
    expect(ticksWritten(dir)).toBe(30);
  });

  it('does not run the command\'s timeout clock while it is stopped', async () => {
    const dir = workDir();
    // About 1 s of work under a 3 s timeout, paused for longer than the whole timeout.
    const executor = await commandExecutor('pause-cmd-2', dir, 10, { timeoutSeconds: 3 });
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const { pid } = await counterPids(dir);
    world.spawnedPids.push(pid);
    await waitFor(() => ticksWritten(dir), (n) => n >= 1, { what: 'the command to make progress' });
    await world.control.pause(action.actionId, 'hold');
    await executor.waitForLog({ msg: 'command paused: SIGSTOP to its process group', actionId: action.actionId });
    await expectHeldStill(action.actionId, dir, pid, 4000);
    await world.control.resume(action.actionId, 'go');
    const done = await waitForStatus(world.t.actions, action.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result?.output).toEqual({ ticks: 10 });
    expect(executor.find({ msg: 'stopping command: SIGTERM to its process group' })).toEqual([]);
  });

  it('terminates a stopped command: it is continued so its SIGTERM handler runs', async () => {
    const dir = workDir();
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(dir, 100_000, ['--graceful'], { killGraceSeconds: 30 }) }));
    const executor = await startExecutor(world.t.address, 'pause-cmd-3', ['--handlers', file, '--shutdown-grace-seconds', '2']);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const { pid } = await counterPids(dir);
    world.spawnedPids.push(pid);
    await waitFor(() => ticksWritten(dir), (n) => n >= 1, { what: 'the command to make progress' });
    await world.control.pause(action.actionId, 'hold');
    await executor.waitForLog({ msg: 'command paused: SIGSTOP to its process group', actionId: action.actionId });
    await waitFor(() => processState(pid), (state) => state === 'T', { what: `command ${pid} to be stopped` });
    const ticks = ticksWritten(dir);

    await world.control.terminate(action.actionId, 'abandon it');
    const exited = await executor.waitForLog({ msg: 'command exited', actionId: action.actionId });
    // It exited through its own handler (exit code 143), well before the 30 s grace would have SIGKILLed it.
    expect(exited).toMatchObject({ pid, exitCode: 143, exitSignal: null, stoppedBy: 'abort' });
    expect(existsSync(join(dir, 'terminated'))).toBe(true);
    // Continued, its interval timer may be overdue and fire once before Node runs the SIGTERM handler: at most one tick more.
    const ticksAtTerminate = Number(readFileSync(join(dir, 'terminated'), 'utf8'));
    expect(ticksAtTerminate).toBeGreaterThanOrEqual(ticks);
    expect(ticksAtTerminate).toBeLessThanOrEqual(ticks + 1);
    expect(executor.find({ msg: 'command outlived its grace period: SIGKILL to its process group' })).toEqual([]);
    await waitForStatus(world.t.actions, action.actionId, ActionStatus.ACTION_STATUS_TERMINATED);
  });
});
