import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../support/testServer.js';
import { clientsFor, principal, writeAuthFile } from './authFixture.js';
import { startServe, stopAllServes } from './serveProcess.js';

describe('SIGHUP to a running actiongate serve', () => {
  const dir = tempDataDir('actiongate-sighup-');
  afterAll(async () => {
    await stopAllServes();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the auth file again: a removed principal is refused and a new one let in, without a restart', async () => {
    const bot = principal('deploy-bot', ['agent']);
    const root = principal('root', ['admin']);
    const newcomer = principal('new-bot', ['agent']);
    const authFile = writeAuthFile(dir, [bot, root]);
    const serve = await startServe(join(dir, 'data'), ['--auth-file', authFile]);
    const [botClients, newClients] = [clientsFor(serve.address, bot.token), clientsFor(serve.address, newcomer.token)];
    const propose = (c: typeof botClients) =>
      c.actions.propose({ actionType: 'rerun_healthcheck', node: 'web-1', service: 'api' }).then((r) => r.action!.proposedBy, (e: ServiceError) => status[e.code]);
    try {
      expect(await propose(botClients)).toBe('deploy-bot');
      expect(await propose(newClients)).toBe('UNAUTHENTICATED');

      const from = serve.logs.length;
      writeAuthFile(dir, [root, newcomer]);
      serve.signal('SIGHUP');
      // The file watcher may see the change too; the SIGHUP reload is the one awaited here.
      const reloaded = await serve.waitForLog((l) => l.msg === 'auth file reloaded' && l.why === 'SIGHUP', from);
      expect(reloaded.principals).toBe(2);
      expect(await propose(botClients)).toBe('UNAUTHENTICATED');
      expect(await propose(newClients)).toBe('new-bot');
      // The server kept running through the signal.
      expect(serve.logs.some((l) => l.msg === 'stopped')).toBe(false);
    } finally {
      botClients.close();
      newClients.close();
      await serve.stop();
    }
  });
});
