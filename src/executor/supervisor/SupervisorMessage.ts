/**
 * What the executor and the command supervisor say to each other over the
 * supervisor's IPC channel. The channel is also the supervisor's lifeline:
 * when it closes, the executor is gone and the command must go too.
 */
export type ToSupervisor =
  /** The first message: run this program in a process group of its own. */
  | {
    readonly kind: 'start';
    readonly command: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    /** After SIGTERM, how long before SIGKILL. */
    readonly killGraceSeconds: number;
  }
  /** SIGSTOP the group (the action is paused or halted). */
  | { readonly kind: 'pause' }
  /** SIGCONT the group. */
  | { readonly kind: 'resume' }
  /** SIGTERM the group (and SIGCONT it, so a stopped handler can run), SIGKILL after the grace. */
  | { readonly kind: 'terminate' };

export type FromSupervisor =
  /** The command runs as `pid`, leader of process group `pid`; `startTime` is from /proc (null without it). */
  | { readonly kind: 'started'; readonly pid: number; readonly startTime: string | null }
  /** The program could not be started (ENOENT, EACCES, ...). */
  | { readonly kind: 'spawn-failed'; readonly code: string; readonly message: string }
  | { readonly kind: 'paused' }
  | { readonly kind: 'resumed' }
  /** The grace ran out: the group got SIGKILL. */
  | { readonly kind: 'escalated' }
  /** The command itself exited; the supervisor exits once nothing is left in its group. */
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null };
