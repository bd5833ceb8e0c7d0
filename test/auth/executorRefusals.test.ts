import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { buildHandlers } from '../../src/executor/buildHandlers.js';
import { Executor } from '../../src/executor/Executor.js';
import { SILENT_LOG } from '../../src/executor/ExecutorLog.js';
import { loadExecutorConfig } from '../../src/executor/loadExecutorConfig.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { principal, writeAuthFile } from './authFixture.js';

/** How soon an executor must give up on a refusal; a retry loop would run past it (backoff reaches 32 s). */
const GIVE_UP_WITHIN_MS = 10_000;

describe('an executor whose claims are refused for its credential', () => {
  const dir = tempDataDir('actiongate-execrefused-');
  const runner = principal('runner', ['executor'], ['runner-1']);
  const bot = principal('deploy-bot', ['agent']);
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ authFile: writeAuthFile(dir, [runner, bot]) });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // The control stream is the runner's and stays live, so only the claim loop can see the refusal.
  it.each([
    ['PERMISSION_DENIED', bot.token],
    ['UNAUTHENTICATED', 'a-token-nobody-has'],
  ])('gives up on %s from Execute instead of retrying it', async (code, claimToken) => {
    const config = loadExecutorConfig(['--server', t.address, '--executor-id', 'runner-1', '--poll-wait-seconds', '1'], {});
    const control = new ControlClient(t.address, { token: runner.token });
    const actions = new ActionClient(t.address, { token: claimToken });
    const handlers = buildHandlers(new Map());
    const subscriber = new ControlSubscriber(control, 'runner-1', { acknowledge: false });
    const executor = new Executor({ actions, subscriber, handlers, actionTypes: [...handlers.keys()], config, log: SILENT_LOG });
    const started = performance.now();
    try {
      await expect(executor.run()).rejects.toThrow(`the server refuses this executor's claims (${code}`);
      expect(performance.now() - started).toBeLessThan(GIVE_UP_WITHIN_MS);
      expect(executor.state$.value).toBe('failed');
    } finally {
      executor.stop(0);
      actions.close();
      control.close();
    }
  });
});
