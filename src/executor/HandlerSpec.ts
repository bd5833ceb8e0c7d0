/** How one action type is handled, as the handlers file configures it. */
export type HandlerSpec = SimulateSpec | CommandSpec | HttpSpec;

/** Log what would be done, step by step, and change nothing. */
export interface SimulateSpec {
  readonly kind: 'simulate';
  /** Pause between simulated steps, so an operator can pause or terminate one mid-way. */
  readonly stepDelayMs: number;
}

/** Run a program (no shell) with the action as JSON on stdin; stdout becomes the result. */
export interface CommandSpec {
  readonly kind: 'command';
  /** Program and arguments. */
  readonly command: readonly string[];
  readonly timeoutSeconds: number;
  /** After SIGTERM (terminate, timeout, shutdown), how long before SIGKILL. */
  readonly killGraceSeconds: number;
}

/** Call an HTTP endpoint with the action as a JSON body; the response becomes the result. */
export interface HttpSpec {
  readonly kind: 'http';
  readonly url: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly timeoutSeconds: number;
  /** Sent with every request and never logged (they may carry credentials). */
  readonly headers: Readonly<Record<string, string>>;
}

export const DEFAULT_STEP_DELAY_MS = 200;
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 300;
export const DEFAULT_KILL_GRACE_SECONDS = 5;
export const DEFAULT_HTTP_TIMEOUT_SECONDS = 30;
