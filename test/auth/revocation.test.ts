import { rmSync, writeFileSync } from 'node:fs';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/ControlClient.js';
import { ControlSubscriber } from '../../src/client/ControlSubscriber.js';
import { startTestServer, tempDataDir, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { clientsFor, principal, writeAuthFile } from './authFixture.js';

const REVOCATION_BOUND_MS = 5000;

describe('revoking a principal without a restart', () => {
  const dir = tempDataDir('actiongate-revoke-');
  const bot = principal('deploy-bot', ['agent']);
  const runner = principal('runner', ['executor'], ['runner-1']);
  const root = principal('root', ['admin']);
  let t: TestServer;
  let authFile: string;

  beforeAll(async () => {
    authFile = writeAuthFile(dir, [bot, runner, root]);
    t = await startTestServer({ authFile });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a removed principal\'s next call and closes its open stream within 5 seconds; a broken file keeps the previous one in force', async () => {
    const botClients = clientsFor(t.address, bot.token);
    const control = new ControlClient(t.address, { token: runner.token });
    const subscriber = new ControlSubscriber(control, 'runner-1', { acknowledge: false });
    subscriber.start();
    try {
      await subscriber.waitUntilLive();
      await botClients.actions.propose({ actionType: 'rerun_healthcheck', node: 'n', service: 'api' });

      // A file that does not parse changes nothing.
      writeFileSync(authFile, 'principals: [ {name: ');
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await botClients.actions.propose({ actionType: 'rerun_healthcheck', node: 'n', service: 'api' });
      expect(subscriber.connection$.value).toBe('live');

      writeAuthFile(dir, [root]);
      const removedAt = Date.now();
      await waitFor(
        () => botClients.actions.propose({ actionType: 'rerun_healthcheck', node: 'n', service: 'api' }).then(() => null, (e: ServiceError) => e),
        (err) => err !== null,
        { timeoutMs: REVOCATION_BOUND_MS, intervalMs: 100, what: 'the removed agent to be refused' },
      ).then((err) => expect(status[err!.code]).toBe('UNAUTHENTICATED'));
      // The stream ends with UNAUTHENTICATED, which the SDK does not retry.
      await waitFor(() => subscriber.connection$.value, (state) => state === 'failed', { timeoutMs: REVOCATION_BOUND_MS, what: 'the stream to be closed' });
      expect(Date.now() - removedAt).toBeLessThan(REVOCATION_BOUND_MS);
      // Someone still in the file is unaffected.
      await clientsFor(t.address, root.token).actions.listActions({});
    } finally {
      await subscriber.stop();
      control.close();
      botClients.close();
    }
  });
});
