import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { clientCredentials, type ClientTls } from '../../src/client/clientCredentials.js';
import { tempDataDir } from '../support/testServer.js';
import { startServe, stopAllServes, type ServeProcess } from './serveProcess.js';
import { makeTestCertificates, type TestCertificates } from './testCertificates.js';

const AGENT_TOKEN = randomBytes(32).toString('base64url');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** deploy-bot by token, ci-bot by its certificate's CN: both may propose. */
function writeAuthFile(dir: string): string {
  const file = join(dir, 'auth.yaml');
  writeFileSync(file, stringify({
    principals: [
      { name: 'deploy-bot', roles: ['agent'], token_sha256: sha256(AGENT_TOKEN) },
      { name: 'ci-bot', roles: ['agent'], certificate_cn: 'ci-bot.example' },
    ],
  }), { mode: 0o600 });
  return file;
}

/** Proposes through a fresh client; the proposer the server recorded, or the refusal's status name. */
async function proposeAs(address: string, tls: ClientTls | null, token?: string): Promise<string> {
  const client = new ActionClient(address, {
    ...(tls === null ? {} : { credentials: clientCredentials(tls) }),
    ...(token === undefined ? {} : { token }),
  });
  try {
    const reply = await client.propose({ actionType: 'rerun_healthcheck', node: 'web-1', service: 'api' }, { timeoutMs: 10_000 });
    return `proposed_by ${reply.action!.proposedBy}`;
  } catch (err) {
    return status[(err as ServiceError).code];
  } finally {
    client.close();
  }
}

describe('TLS and mutual TLS', () => {
  const dir = tempDataDir('actiongate-tls-');
  let certs: TestCertificates;
  let authFile: string;

  beforeAll(() => {
    certs = makeTestCertificates(dir);
    authFile = writeAuthFile(dir);
  });
  afterAll(async () => {
    await stopAllServes();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('--tls-cert and --tls-key', () => {
    let serve: ServeProcess;
    beforeAll(async () => {
      serve = await startServe(join(dir, 'data-tls'), ['--auth-file', authFile, '--tls-cert', certs.server.certFile, '--tls-key', certs.server.keyFile]);
    });
    afterAll(() => serve?.stop());

    it('serves a client over TLS with a token, and no plaintext client', async () => {
      expect(serve.logs.find((l) => l.msg === 'actiongate listening')?.tls).toBe('on');
      expect(await proposeAs(serve.address, { ca: certs.ca }, AGENT_TOKEN)).toBe('proposed_by deploy-bot');
      expect(await proposeAs(serve.address, { ca: certs.ca })).toBe('UNAUTHENTICATED');
      expect(await proposeAs(serve.address, null, AGENT_TOKEN)).toBe('UNAVAILABLE');
    });

    it('asks for no client certificate, so one sent names nobody: the token does', async () => {
      const ci = certs.client('ci-bot.example');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: ci.cert, key: ci.key })).toBe('UNAUTHENTICATED');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: ci.cert, key: ci.key }, AGENT_TOKEN)).toBe('proposed_by deploy-bot');
    });
  });

  describe('--tls-client-ca', () => {
    let serve: ServeProcess;
    beforeAll(async () => {
      serve = await startServe(join(dir, 'data-mtls'), [
        '--auth-file', authFile, '--tls-cert', certs.server.certFile, '--tls-key', certs.server.keyFile, '--tls-client-ca', certs.caFile,
      ]);
    });
    afterAll(() => serve?.stop());

    it('refuses a client without a certificate at the handshake, even with a good token', async () => {
      expect(serve.logs.find((l) => l.msg === 'actiongate listening')?.tls).toBe('mutual');
      expect(await proposeAs(serve.address, { ca: certs.ca }, AGENT_TOKEN)).toBe('UNAVAILABLE');
    });

    it('refuses a certificate another CA signed at the handshake', async () => {
      const foreign = certs.foreignClient('ci-bot.example');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: foreign.cert, key: foreign.key }, AGENT_TOKEN)).toBe('UNAVAILABLE');
    });

    it('answers a certificate with a CN no principal has with UNAUTHENTICATED', async () => {
      const unknown = certs.client('nobody.example');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: unknown.cert, key: unknown.key })).toBe('UNAUTHENTICATED');
    });

    it('takes a certificate whose CN is a principal\'s certificate_cn as that principal', async () => {
      const ci = certs.client('ci-bot.example');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: ci.cert, key: ci.key })).toBe('proposed_by ci-bot');
    });

    it('lets a token sent alongside the certificate name the principal', async () => {
      const ci = certs.client('ci-bot.example');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: ci.cert, key: ci.key }, AGENT_TOKEN)).toBe('proposed_by deploy-bot');
      const unknown = certs.client('nobody.example');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: unknown.cert, key: unknown.key }, AGENT_TOKEN)).toBe('proposed_by deploy-bot');
      expect(await proposeAs(serve.address, { ca: certs.ca, cert: ci.cert, key: ci.key }, 'not-a-known-token')).toBe('UNAUTHENTICATED');
    });
  });
});
