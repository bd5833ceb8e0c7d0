// The command supervisor: a small Node process between the executor and one
// command. It runs the command in a process group of its own and kills that
// group when its executor goes, however it goes: the executor holds the other
// end of this process's IPC channel, and the kernel closes it when the executor
// dies, SIGKILL and OOM included. Node cannot ask Linux for a parent-death
// signal (prctl PR_SET_PDEATHSIG) without a native module; this channel's EOF is
// the portable equivalent.
import { spawn, type ChildProcess } from 'node:child_process';
import { signalGroup } from './processGroup.js';
import { readProcessStat } from './processStat.js';
import type { FromSupervisor, ToSupervisor } from './SupervisorMessage.js';

/** How often the group is probed once its leader is gone: the rest are not our children, so no event says they left. */
const GROUP_POLL_MS = 50;
/** After SIGKILL, how long to wait for the group to empty (a zombie under an init that does not reap would never go). */
const AFTER_KILL_WAIT_MS = 5000;

let child: ChildProcess | undefined;
let pgid: number | null = null;
let graceMs = 0;
let terminating = false;
let escalatedAt: number | null = null;
let finishing = false;
let killTimer: NodeJS.Timeout | undefined;
let pollTimer: NodeJS.Timeout | undefined;

// Ctrl-C, a service manager's SIGTERM or a closed terminal are the executor's to
// handle (it lets running actions finish for its grace period); the supervisor
// follows the executor's lifeline, not these.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

function tell(message: FromSupervisor, then?: () => void): void {
  if (!process.connected) {
    then?.();
    return;
  }
  process.send!(message, undefined, undefined, () => then?.());
}

function finish(): void {
  if (finishing) return;
  finishing = true;
  clearTimeout(killTimer);
  clearInterval(pollTimer);
  // With the channel closed and no timers left, the process exits by itself once the last message is out.
  if (process.connected) process.disconnect();
}

/** SIGTERM to the group, SIGKILL once the grace is over. */
function terminate(): void {
  if (terminating || pgid === null) return;
  terminating = true;
  const group = pgid;
  signalGroup(group, 'SIGTERM');
  // A stopped (paused) process runs its SIGTERM handler only once continued.
  signalGroup(group, 'SIGCONT');
  killTimer = setTimeout(() => {
    escalatedAt = Date.now();
    if (signalGroup(group, 'SIGKILL')) tell({ kind: 'escalated' });
  }, graceMs);
}

/** The leader has exited; finish once nothing is left in its group. */
function awaitEmptyGroup(group: number): void {
  const check = (): void => {
    const gone = !signalGroup(group, 0);
    if (gone || (escalatedAt !== null && Date.now() - escalatedAt > AFTER_KILL_WAIT_MS)) finish();
  };
  pollTimer = setInterval(check, GROUP_POLL_MS);
  check();
}

function start(message: Extract<ToSupervisor, { kind: 'start' }>): void {
  if (child !== undefined) return;
  graceMs = message.killGraceSeconds * 1000;
  const [program, ...args] = message.command as [string, ...string[]];
  // detached: setsid(), so the command leads a new process group (and session) and signals reach all it starts.
  const started = spawn(program, args, { stdio: 'inherit', detached: true, env: message.env });
  child = started;
  started.once('error', (err: NodeJS.ErrnoException) => {
    if (started.pid !== undefined) return;
    tell({ kind: 'spawn-failed', code: err.code ?? 'UNKNOWN', message: err.message }, finish);
  });
  if (started.pid === undefined) return;
  const group = started.pid;
  pgid = group;
  // Read now, while the child cannot yet have been reaped: this start time identifies it for good.
  tell({ kind: 'started', pid: group, startTime: readProcessStat(group)?.startTime ?? null });
  started.once('exit', (code, signal) => {
    tell({ kind: 'exited', code, signal });
    // Nothing the command started may outlive it: what is left in its group is stopped the same way.
    if (signalGroup(group, 0)) terminate();
    awaitEmptyGroup(group);
  });
}

process.on('message', (message: ToSupervisor) => {
  switch (message.kind) {
    case 'start':
      start(message);
      return;
    case 'pause':
      if (pgid !== null && !terminating && signalGroup(pgid, 'SIGSTOP')) tell({ kind: 'paused' });
      return;
    case 'resume':
      if (pgid !== null && !terminating && signalGroup(pgid, 'SIGCONT')) tell({ kind: 'resumed' });
      return;
    case 'terminate':
      terminate();
  }
});

process.on('disconnect', () => {
  if (finishing) return;
  // The executor is gone: so is the command, whatever state it was in.
  if (child === undefined || pgid === null) process.exit(0);
  terminate();
});
