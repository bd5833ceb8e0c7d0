import { spawn } from 'node:child_process';
import type { Observable, Subscription } from 'rxjs';
import type { RunState } from '../../client/LocalControlState.js';
import type { ExecutorLog } from '../ExecutorLog.js';
import { HandlerError } from '../HandlerError.js';
import type { CommandSpec } from '../HandlerSpec.js';
import type { CommandRecord } from '../supervisor/CommandRecord.js';
import type { CommandStateDir } from '../supervisor/CommandStateDir.js';
import { killRecordedCommand } from '../supervisor/killRecordedCommand.js';
import { readProcessStat } from '../supervisor/processStat.js';
import type { FromSupervisor, ToSupervisor } from '../supervisor/SupervisorMessage.js';
import { COMMAND_SUPERVISOR_SCRIPT } from '../supervisor/supervisorScript.js';
import { BoundedText } from './BoundedText.js';
import { PausableTimer } from './PausableTimer.js';

export const STDOUT_LIMIT_BYTES = 16 * 1024;
export const STDERR_LIMIT_BYTES = 8 * 1024;
/** After the supervisor exits, how long to wait for stdio to close (a process that left the group may hold it). */
const STDIO_CLOSE_WAIT_MS = 2000;
const STDERR_TAIL_CHARS = 500;

export interface CommandOutcome {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly stdout: BoundedText;
  readonly stderr: BoundedText;
  /** Why the executor stopped it, or null when it ended on its own. */
  readonly stoppedBy: 'abort' | 'timeout' | null;
  readonly durationMs: number;
}

export interface RunCommandOptions {
  /** Written to the command's stdin. */
  readonly input: string;
  readonly env: NodeJS.ProcessEnv;
  /** Stops the command: SIGTERM to its group, SIGKILL after the grace. */
  readonly signal: AbortSignal;
  /** The action's run state: while PAUSED the command's group is stopped (SIGSTOP), and its timeout clock with it. */
  readonly state$?: Observable<RunState>;
  readonly log: ExecutorLog;
  readonly actionId: string;
  /** Where the running command is recorded for a later instance to clean up; none records nothing. */
  readonly stateDir?: CommandStateDir;
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * Runs `spec.command` without a shell under a command supervisor (a small Node
 * process; see supervisor/commandSupervisor.ts) that puts it in a process group
 * of its own and kills that group if the executor dies. Writes `input` to its
 * stdin and collects bounded stdout and stderr. On abort or timeout the whole
 * group gets SIGTERM, then SIGKILL after the grace period; while `state$` says
 * PAUSED the group is stopped. The promise settles only once the command and
 * everything left in its group are gone, so "stopped" means gone.
 */
export function runCommand(spec: CommandSpec, options: RunCommandOptions): Promise<CommandOutcome> {
  const { input, env, signal: abort, state$, log, actionId, stateDir } = options;
  const program = spec.command[0]!;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const stdout = new BoundedText(STDOUT_LIMIT_BYTES);
    const stderr = new BoundedText(STDERR_LIMIT_BYTES);
    // The supervisor itself needs no environment; the command gets `env` through it.
    const supervisor = spawn(process.execPath, [COMMAND_SUPERVISOR_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'], env: {}, serialization: 'json' });
    let record: CommandRecord | null = null;
    let exit: Extract<FromSupervisor, { kind: 'exited' }> | null = null;
    let spawnFailed: Extract<FromSupervisor, { kind: 'spawn-failed' }> | null = null;
    let stoppedBy: CommandOutcome['stoppedBy'] = null;
    let paused = false;
    let closeTimer: NodeJS.Timeout | undefined;
    let pauses: Subscription | undefined;

    const tell = (message: ToSupervisor): void => {
      if (supervisor.connected) supervisor.send(message, () => {
        // A send that fails means the supervisor is gone; its 'close' reports what happened.
      });
    };
    const stop = (why: 'abort' | 'timeout'): void => {
      if (stoppedBy !== null || exit !== null) return;
      stoppedBy = why;
      log.warn({ pid: record?.pid, why, killGraceSeconds: spec.killGraceSeconds }, 'stopping command: SIGTERM to its process group');
      tell({ kind: 'terminate' });
    };
    const timeout = new PausableTimer(spec.timeoutSeconds * 1000, () => stop('timeout'));
    const onAbort = (): void => stop('abort');
    const cleanup = (): void => {
      timeout.clear();
      clearTimeout(closeTimer);
      pauses?.unsubscribe();
      abort.removeEventListener('abort', onAbort);
    };

    supervisor.once('error', (err: NodeJS.ErrnoException) => {
      if (supervisor.pid !== undefined) return; // 'close' follows and reports the outcome
      cleanup();
      reject(new HandlerError(`cannot start the command supervisor: ${err.code ?? err.message}`, false, { cause: err }));
    });
    if (supervisor.pid === undefined) return;
    const supervisorPid = supervisor.pid;

    supervisor.on('message', (message: FromSupervisor) => {
      switch (message.kind) {
        case 'started': {
          record = {
            pid: message.pid, startTime: message.startTime, actionId, program, startedAt: new Date(started).toISOString(), killGraceSeconds: spec.killGraceSeconds,
            supervisorPid, executorPid: process.pid, executorStartTime: readProcessStat(process.pid)?.startTime ?? null,
          };
          log.info({ pid: message.pid, supervisorPid, program }, 'command started');
          try {
            stateDir?.record(record);
          } catch (err) {
            log.error({ err, stateDir: stateDir?.dir }, 'cannot record the command in the state directory: should this executor die with its supervisor, a restart would not find it');
          }
          return;
        }
        case 'spawn-failed':
          spawnFailed = message;
          return;
        case 'paused':
          log.info({ pid: record?.pid }, 'command paused: SIGSTOP to its process group');
          return;
        case 'resumed':
          log.info({ pid: record?.pid }, 'command resumed: SIGCONT to its process group');
          return;
        case 'escalated':
          log.warn({ pid: record?.pid }, 'command outlived its grace period: SIGKILL to its process group');
          return;
        case 'exited':
          exit = message;
      }
    });
    tell({ kind: 'start', command: spec.command, env: stringEnv(env), killGraceSeconds: spec.killGraceSeconds });
    if (abort.aborted) onAbort();
    else abort.addEventListener('abort', onAbort, { once: true });
    pauses = state$?.subscribe((state) => {
      if (state === 'PAUSED' && !paused) {
        paused = true;
        timeout.pause();
        tell({ kind: 'pause' });
      } else if (state === 'RUNNING' && paused) {
        paused = false;
        tell({ kind: 'resume' });
        timeout.resume();
      }
    });

    supervisor.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    supervisor.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    supervisor.stdin!.on('error', () => {
      // The program need not read its stdin; EPIPE is not a failure.
    });
    supervisor.stdin!.end(input);
    supervisor.once('exit', () => {
      closeTimer = setTimeout(() => {
        supervisor.stdout!.destroy();
        supervisor.stderr!.destroy();
      }, STDIO_CLOSE_WAIT_MS);
    });
    supervisor.once('close', (supervisorCode: number | null, supervisorSignal: NodeJS.Signals | null) => {
      cleanup();
      const durationMs = Date.now() - started;
      if (spawnFailed !== null) {
        reject(new HandlerError(`cannot start command ${program}: ${spawnFailed.code}`, false));
        return;
      }
      const how = supervisorSignal === null ? `exit code ${supervisorCode}` : `signal ${supervisorSignal}`;
      if (record === null) {
        reject(new HandlerError(`the command supervisor ended (${how}) before starting ${program}: ${stderr.tail(STDERR_TAIL_CHARS)}`, false));
        return;
      }
      const { pid } = record;
      if (exit === null) {
        // The supervisor died under the command: kill what it left, as a restart would.
        const lost = record;
        log.error({ pid, supervisorPid, supervisor: how }, 'the command supervisor died: killing its command');
        void killRecordedCommand(lost).then((outcome) => {
          log.warn({ pid, outcome }, 'command of a dead supervisor dealt with');
          if (outcome !== 'survived') stateDir?.remove(pid);
          reject(new HandlerError(`the command supervisor died (${how}); the command was stopped (${outcome})`, true));
        }, reject);
        return;
      }
      stateDir?.remove(pid);
      log.info({ pid, exitCode: exit.code, exitSignal: exit.signal, durationMs, stoppedBy }, 'command exited');
      resolve({ pid, exitCode: exit.code, exitSignal: exit.signal, stdout, stderr, stoppedBy, durationMs });
    });
  });
}
