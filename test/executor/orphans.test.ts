import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRecord } from '../../src/executor/supervisor/CommandRecord.js';
import { readProcessStat } from '../../src/executor/supervisor/processStat.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { processExists, startExecutor } from './support/childExecutor.js';
import { counterHandler, counterPids, waitUntilGone } from './support/counterCommand.js';
import { approvedAction, useExecutorWorld, waitForStatus } from './support/executorFixture.js';

/** The brief's bound: after the executor dies, its command and everything it started are gone within this. */
const GONE_WITHIN_MS = 5000;

describe('actiongate executor: no orphaned commands', () => {
  const world = useExecutorWorld();

  function workDir(name: string): string {
    const dir = join(world.scratch.dir, name);
    mkdirSync(dir);
    return dir;
  }

  it('kills the command and its grandchild, both ignoring SIGTERM, when the executor is killed with SIGKILL', async () => {
    const work = workDir('work');
    const stateDir = join(world.scratch.dir, 'state');
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(work, 100_000, ['--ignore-term', '--grandchild'], { killGraceSeconds: 1 }) }));
    const executor = await startExecutor(world.t.address, 'orphan-1', ['--handlers', file, '--state-dir', stateDir]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const started = await executor.waitForLog({ msg: 'command started', actionId: action.actionId });
    const pids = await counterPids(work);
    const supervisorPid = started.supervisorPid as number;
    world.spawnedPids.push(pids.pid, pids.grandchildPid!, supervisorPid);
    expect(started.pid).toBe(pids.pid);
    // The command leads a process group of its own, and the grandchild is in it.
    expect(readProcessStat(pids.pid)?.pgrp).toBe(pids.pid);
    expect(readProcessStat(pids.grandchildPid!)?.pgrp).toBe(pids.pid);
    // It is recorded in the state directory (created 0700) while it runs.
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const record = JSON.parse(readFileSync(join(stateDir, `command-${pids.pid}.json`), 'utf8')) as CommandRecord;
    expect(record).toMatchObject({ pid: pids.pid, actionId: action.actionId, supervisorPid, executorPid: executor.process.pid, startTime: readProcessStat(pids.pid)!.startTime });

    executor.process.kill('SIGKILL');
    await executor.exited;
    await waitUntilGone([pids.pid, pids.grandchildPid!, supervisorPid], GONE_WITHIN_MS, 'the command, its grandchild and its supervisor to be gone after the executor died');
  });

  it('a restarted executor kills the command a previous instance left behind with its supervisor', async () => {
    const work = workDir('work');
    const stateDir = join(world.scratch.dir, 'state');
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(work, 100_000, ['--ignore-term', '--grandchild'], { killGraceSeconds: 1 }) }));
    const first = await startExecutor(world.t.address, 'orphan-2', ['--handlers', file, '--state-dir', stateDir]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const started = await first.waitForLog({ msg: 'command started', actionId: action.actionId });
    const pids = await counterPids(work);
    const supervisorPid = started.supervisorPid as number;
    world.spawnedPids.push(pids.pid, pids.grandchildPid!, supervisorPid);

    // Both die without a chance to act: stopped first, so neither sees the other go, then killed.
    process.kill(supervisorPid, 'SIGSTOP');
    first.process.kill('SIGSTOP');
    process.kill(supervisorPid, 'SIGKILL');
    first.process.kill('SIGKILL');
    await first.exited;
    await waitUntilGone([supervisorPid], GONE_WITHIN_MS, 'the supervisor to be gone');
    expect(processExists(pids.pid)).toBe(true);
    expect(processExists(pids.grandchildPid!)).toBe(true);
    expect(readdirSync(stateDir)).toEqual([`command-${pids.pid}.json`]);

    // The new instance claims other types only, so the leftover's action is not run again here.
    const second = await startExecutor(world.t.address, 'orphan-2', ['--handlers', file, '--state-dir', stateDir, '--action-types', 'collect_diagnostics']);
    const killed = second.find({ msg: 'killed a command left running by a previous run' });
    expect(killed).toHaveLength(1);
    expect(killed[0]).toMatchObject({ pid: pids.pid, actionId: action.actionId, executorId: 'orphan-2' });
    // It did so before claiming: the leftover was dealt with before the executor said it was ready.
    expect(second.logs.indexOf(killed[0]!)).toBeLessThan(second.logs.findIndex((e) => e.msg === 'executor ready: claiming'));
    expect(processExists(pids.pid)).toBe(false);
    expect(processExists(pids.grandchildPid!)).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('kills the command itself when only its supervisor dies, and fails the action retryably', async () => {
    const work = workDir('work');
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(work, 100_000, ['--ignore-term', '--grandchild'], { killGraceSeconds: 1 }) }));
    const executor = await startExecutor(world.t.address, 'orphan-7', ['--handlers', file, '--shutdown-grace-seconds', '1']);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const started = await executor.waitForLog({ msg: 'command started', actionId: action.actionId });
    const pids = await counterPids(work);
    world.spawnedPids.push(pids.pid, pids.grandchildPid!);

    process.kill(started.supervisorPid as number, 'SIGKILL');
    await executor.waitForLog({ msg: 'the command supervisor died: killing its command', actionId: action.actionId, pid: pids.pid });
    await waitUntilGone([pids.pid, pids.grandchildPid!], GONE_WITHIN_MS, 'the command of the dead supervisor to be gone');
    // Failed retryably: the action went back to APPROVED for another attempt.
    const failed = await executor.waitForLog({ msg: 'action failed', actionId: action.actionId });
    expect(failed).toMatchObject({ to: 'APPROVED', retryable: true });
    expect(failed.error).toContain('the command supervisor died (signal SIGKILL)');
    await world.control.terminate(action.actionId, 'enough');
  });

  it('leaves alone a recorded pid that now belongs to another process, and a record it cannot read', async () => {
    const stateDir = join(world.scratch.dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    // A live process in a group of its own: only its start time differs from the record.
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    world.spawnedPids.push(bystander.pid!);
    const recycled: CommandRecord = {
      pid: bystander.pid!, startTime: '1', actionId: 'an-old-action', program: '/usr/bin/redeploy', startedAt: new Date(0).toISOString(), killGraceSeconds: 1,
      supervisorPid: 999_999_999, executorPid: process.pid, executorStartTime: 'not this process',
    };
    writeFileSync(join(stateDir, `command-${bystander.pid}.json`), JSON.stringify(recycled), { mode: 0o600 });
    writeFileSync(join(stateDir, 'command-12345.json'), '{"torn', { mode: 0o600 });

    const executor = await startExecutor(world.t.address, 'orphan-3', ['--state-dir', stateDir]);
    await executor.waitForLog({ msg: 'the recorded pid now belongs to another process: left alone', pid: bystander.pid });
    expect(executor.find({ msg: 'state directory: not a command record; left as it is', file: 'command-12345.json' })).toHaveLength(1);
    expect(processExists(bystander.pid!)).toBe(true);
    expect(readdirSync(stateDir)).toEqual(['command-12345.json']);
    bystander.kill('SIGKILL');
  });

  it('refuses a state directory other users may write to', async () => {
    const stateDir = join(world.scratch.dir, 'shared');
    mkdirSync(stateDir, { mode: 0o777 });
    chmodSync(stateDir, 0o777);
    const executor = await startExecutor(world.t.address, 'orphan-4', ['--state-dir', stateDir], { waitReady: false });
    // A flag naming an unsafe directory is a usage mistake: exit 2, as for every command.
    expect(await executor.exited).toEqual({ code: 2, signal: null });
    expect(executor.output()).toContain(`--state-dir ${stateDir} is writable by other users`);
  });

  it('stops what a command left running in its group before reporting it completed', async () => {
    const work = workDir('work');
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(work, 3, ['--grandchild'], { killGraceSeconds: 1 }) }));
    const executor = await startExecutor(world.t.address, 'orphan-6', ['--handlers', file]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    const pids = await counterPids(work);
    world.spawnedPids.push(pids.pid, pids.grandchildPid!);
    const done = await waitForStatus(world.t.actions, action.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result?.output).toEqual({ ticks: 3 });
    // The grandchild ignores SIGTERM: it took the SIGKILL after the grace, and was gone before the Complete.
    expect(processExists(pids.grandchildPid!)).toBe(false);
    expect(executor.find({ msg: 'command exited', actionId: action.actionId })[0]).toMatchObject({ exitCode: 0, stoppedBy: null });
    expect(executor.find({ msg: 'command outlived its grace period: SIGKILL to its process group', actionId: action.actionId })).toHaveLength(1);
  });

  it('SIGKILLs a command that ignores SIGTERM once killGraceSeconds are over, on terminate, grandchild included', async () => {
    const work = workDir('work');
    const graceSeconds = 1;
    const file = world.scratch.file('handlers.json', JSON.stringify({ redeploy_service: counterHandler(work, 100_000, ['--ignore-term', '--grandchild'], { killGraceSeconds: graceSeconds }) }));
    const executor = await startExecutor(world.t.address, 'orphan-5', ['--handlers', file]);
    const action = await approvedAction(world.t.actions, 'redeploy_service');
    await executor.waitForLog({ msg: 'command started', actionId: action.actionId });
    const pids = await counterPids(work);
    world.spawnedPids.push(pids.pid, pids.grandchildPid!);

    await world.control.terminate(action.actionId, 'wrong service');
    const stopping = await executor.waitForLog({ msg: 'stopping command: SIGTERM to its process group', actionId: action.actionId });
    const escalated = await executor.waitForLog({ msg: 'command outlived its grace period: SIGKILL to its process group', actionId: action.actionId });
    const exited = await executor.waitForLog({ msg: 'command exited', actionId: action.actionId });
    expect(exited).toMatchObject({ pid: pids.pid, stoppedBy: 'abort', exitSignal: 'SIGKILL' });
    // SIGTERM did not stop it; only the grace period's end did.
    expect((escalated.time as number) - (stopping.time as number)).toBeGreaterThanOrEqual(graceSeconds * 1000 - 20);
    expect(processExists(pids.pid)).toBe(false);
    await waitUntilGone([pids.grandchildPid!], GONE_WITHIN_MS, 'the grandchild to be gone');
    await executor.waitForLog({ msg: 'action terminated; stopped without completing it', actionId: action.actionId });
    await waitForStatus(world.t.actions, action.actionId, ActionStatus.ACTION_STATUS_TERMINATED);
  });
});
