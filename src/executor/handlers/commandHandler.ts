import type { ActionHandler, HandlerResult } from '../ActionHandler.js';
import { actionJson } from '../actionJson.js';
import { HandlerError } from '../HandlerError.js';
import type { CommandSpec } from '../HandlerSpec.js';
import type { CommandStateDir } from '../supervisor/CommandStateDir.js';
import { runCommand } from './runCommand.js';

/** A command exiting with EX_TEMPFAIL (sysexits.h) says a retry may succeed. */
export const EX_TEMPFAIL = 75;
const ERROR_TAIL_CHARS = 1000;

function parsedObject(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface CommandHandlerOptions {
  /** Where running commands are recorded, so a restarted executor can kill what a dead one left. */
  readonly stateDir?: CommandStateDir;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs a configured command for the action: the action as JSON on stdin,
 * ACTIONGATE_ACTION_ID and ACTIONGATE_ACTION_TYPE in its environment. Exit 0
 * completes the action with its stdout (and `output`, when stdout is a JSON
 * object or array); exit 75 fails it retryably; any other exit fails it for good.
 * A terminate kills it; a pause stops it (SIGSTOP) until resumed; it runs under
 * a supervisor that kills it should the executor die.
 */
export function commandHandler(spec: CommandSpec, { stateDir, env = process.env }: CommandHandlerOptions = {}): ActionHandler {
  return async ({ action, signal, checkpoint, state$, log }) => {
    await checkpoint();
    const childEnv = { ...env, ACTIONGATE_ACTION_ID: action.actionId, ACTIONGATE_ACTION_TYPE: action.actionType };
    const outcome = await runCommand(spec, { input: actionJson(action), env: childEnv, signal, state$, log, actionId: action.actionId, stateDir });
    const stderr = outcome.stderr.tail(ERROR_TAIL_CHARS);
    const detail = stderr === '' ? '' : `: ${stderr}`;
    if (outcome.stoppedBy === 'abort') throw signal.reason ?? new Error('command aborted');
    if (outcome.stoppedBy === 'timeout') throw new HandlerError(`command timed out after ${spec.timeoutSeconds} s and was killed${detail}`, true);
    if (outcome.exitCode !== 0) {
      const how = outcome.exitCode === null ? `was killed by ${outcome.exitSignal}` : `exited with code ${outcome.exitCode}`;
      throw new HandlerError(`command ${how}${detail}`, outcome.exitCode === EX_TEMPFAIL);
    }
    const stdout = outcome.stdout.text();
    const result: HandlerResult = { exitCode: 0, durationMs: outcome.durationMs, stdout, stdoutTruncated: outcome.stdout.truncated };
    const output = outcome.stdout.truncated ? undefined : parsedObject(stdout);
    if (output !== undefined) result.output = output;
    return result;
  };
}
