import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ActionClient } from '../../../src/client/ActionClient.js';
import { ControlClient } from '../../../src/client/ControlClient.js';
import { ActionStatus, type Action } from '../../../src/gen/actiongate/v1/action.js';
import { statusName, uniqueNode } from '../../support/actionFactory.js';
import { startTestServer, type TestServer } from '../../support/testServer.js';
import { waitFor } from '../../support/waitFor.js';
import { stopAllExecutors } from './childExecutor.js';
import { killLeftovers } from './counterCommand.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface ScratchDir {
  readonly dir: string;
  file(name: string, content?: string): string;
  cleanup(): void;
}

/** A scratch directory for handlers files and pid files; removed by `cleanup`. */
export function scratchDir(): ScratchDir {
  const dir = mkdtempSync(join(tmpdir(), 'actiongate-executor-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      if (content !== undefined) writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Proposes and approves an action; returns it APPROVED. */
export async function approvedAction(client: ActionClient, actionType: string, payload: Record<string, unknown> = {}): Promise<Action> {
  const { action } = await client.propose({ actionType, node: uniqueNode(), service: 'api', confidence: 0.9, payload });
  const { action: approved } = await client.approve({ actionId: action!.actionId, reason: 'go ahead' });
  expect(approved?.status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
  return approved!;
}

const TERMINAL: readonly ActionStatus[] = [
  ActionStatus.ACTION_STATUS_COMPLETED, ActionStatus.ACTION_STATUS_FAILED, ActionStatus.ACTION_STATUS_REJECTED,
  ActionStatus.ACTION_STATUS_TERMINATED, ActionStatus.ACTION_STATUS_EXPIRED,
];

/** Polls GetAction until the action reaches `status`; fails at once if it ends in another terminal status. */
export async function waitForStatus(client: ActionClient, actionId: string, status: ActionStatus, timeoutMs = 20_000): Promise<Action> {
  const action = await waitFor(
    async () => (await client.getAction({ actionId })).action!,
    (a) => a.status === status || TERMINAL.includes(a.status),
    { timeoutMs, what: `action ${actionId} to be ${statusName(status)}` },
  );
  if (action.status !== status) {
    throw new Error(`action ${actionId} ended ${statusName(action.status)}, not ${statusName(status)}: ${action.error}`);
  }
  return action;
}

/** For afterEach: stops the executors a test left running; fails if one did not stop on SIGTERM. */
export async function stopExecutors(): Promise<void> {
  await stopAllExecutors();
}

/** What an executor test runs against; fresh for every test. */
export interface ExecutorWorld {
  readonly t: TestServer;
  readonly control: ControlClient;
  readonly scratch: ScratchDir;
  /** Pids of commands the test saw started: killed after it, so a failed test leaves nothing running. */
  readonly spawnedPids: number[];
  /** Runs `cleanup` after the test once its executors have stopped, before the server stops. */
  afterExecutors(cleanup: () => Promise<unknown> | void): void;
}

/**
 * Registers the hooks that give each test of the enclosing `describe` a real server, a
 * control client and a scratch directory, and tear them down after it (executors first,
 * then leftover commands), even when a stop fails. Read its fields inside tests only.
 */
export function useExecutorWorld(): ExecutorWorld {
  type Parts = Pick<ExecutorWorld, 't' | 'control' | 'scratch'>;
  let current: Parts | null = null;
  const spawnedPids: number[] = [];
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const get = (): Parts => {
    if (current === null) throw new Error('the executor world exists only while a test runs');
    return current;
  };
  beforeEach(async () => {
    const t = await startTestServer();
    current = { t, control: new ControlClient(t.address), scratch: scratchDir() };
  });
  afterEach(async () => {
    const world = get();
    current = null;
    try {
      await stopExecutors();
    } finally {
      killLeftovers(spawnedPids);
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      world.control.close();
      await world.t.stop();
      world.scratch.cleanup();
    }
  });
  return {
    get t() { return get().t; },
    get control() { return get().control; },
    get scratch() { return get().scratch; },
    spawnedPids,
    afterExecutors: (cleanup) => void cleanups.push(cleanup),
  };
}
