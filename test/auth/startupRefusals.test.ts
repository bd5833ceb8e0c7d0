import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { expectOneLineFailure, runCli, runServe } from '../startup/runCli.js';
import { tempDataDir } from '../support/testServer.js';
import { startServe, stopAllServes } from './serveProcess.js';
import { makeTestCertificates, type TestCertificates } from './testCertificates.js';

const hash = (): string => createHash('sha256').update(randomBytes(32)).digest('hex');
const WARN = 40;

/** The server answers calls: GetAction on an unknown id is NOT_FOUND. */
async function expectServing(address: string): Promise<void> {
  const client = new ActionClient(address);
  try {
    const err = await client.getAction({ actionId: '019ab3c2-6f1e-7a21-8d4e-2f6b7c9d0e1f' }, { timeoutMs: 10_000 }).then(() => null, (e: ServiceError) => e);
    expect(err?.code).toBe(status.NOT_FOUND);
  } finally {
    client.close();
  }
}

describe('the secure default', () => {
  const dir = tempDataDir('actiongate-open-');
  afterAll(async () => {
    await stopAllServes();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['0.0.0.0:0', '[::]:0', 'example.internal:0'])('refuses to run open on %s: exit 2 naming --auth-file and --allow-unauthenticated', async (listen) => {
    const run = await runCli(['serve', '--listen', listen, '--data-dir', join(dir, 'refused')]);
    expectOneLineFailure(run, listen, '--auth-file', '--allow-unauthenticated');
    expect(run.code).toBe(2);
  });

  it('runs open beyond loopback with --allow-unauthenticated, saying so in one warning', async () => {
    const serve = await startServe(join(dir, 'allowed'), ['--listen', '0.0.0.0:0', '--allow-unauthenticated']);
    const warnings = serve.logs.filter((l) => l.level === WARN);
    expect(warnings, serve.output()).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('--allow-unauthenticated');
    await expectServing(serve.address);
    await serve.stop();
  });

  it('runs open on loopback with one warning, and beyond loopback with an auth file with none', async () => {
    const open = await startServe(join(dir, 'loopback'), ['--listen', '127.0.0.1:0']);
    const warnings = open.logs.filter((l) => l.level === WARN);
    expect(warnings, open.output()).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('loopback only');
    await expectServing(open.address);
    await open.stop();

    const authFile = join(dir, 'auth.yaml');
    writeFileSync(authFile, `principals:\n  - name: root\n    roles: [admin]\n    token_sha256: ${hash()}\n`);
    const guarded = await startServe(join(dir, 'guarded'), ['--listen', '0.0.0.0:0', '--auth-file', authFile]);
    expect(guarded.logs.filter((l) => l.level >= WARN), guarded.output()).toHaveLength(0);
    await guarded.stop();
  });
});

describe('a bad auth file at start', () => {
  const dir = tempDataDir('actiongate-badauth-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const good = `  - name: alice\n    roles: [approver]\n    token_sha256: ${hash()}\n`;
  const repeatedHash = hash();

  it.each([
    ['not YAML', 'principals: [ {name: alice', 'is not YAML'],
    ['an unknown role', `principals:\n${good}  - name: bob\n    roles: [approver, overlord]\n    token_sha256: ${hash()}\n`, 'principals[1] (bob).roles.1 must be one of'],
    ['a repeated name', `principals:\n${good}  - name: alice\n    roles: [agent]\n    token_sha256: ${hash()}\n`, 'principals[1] (alice) repeats the name of principals[0] (alice)'],
    ['a repeated token hash', `principals:\n  - name: a\n    roles: [agent]\n    token_sha256: ${repeatedHash}\n  - name: b\n    roles: [agent]\n    token_sha256: ${repeatedHash}\n`, 'principals[1] (b) repeats the token_sha256 of principals[0] (a)'],
    ['neither a token nor a certificate', `principals:\n${good}  - name: carol\n    roles: [viewer]\n`, 'principals[1] (carol) has neither token_sha256 nor certificate_cn'],
  ])('refuses %s: one line naming the entry, non-zero exit', async (kind, text, fragment) => {
    const file = join(dir, `${kind.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, text);
    expectOneLineFailure(await runServe(join(dir, 'data'), ['--auth-file', file]), file, fragment);
  });

  it('refuses a file that is not there: one line naming it', async () => {
    const file = join(dir, 'missing.yaml');
    expectOneLineFailure(await runServe(join(dir, 'data'), ['--auth-file', file]), `cannot read --auth-file ${file}`, 'ENOENT');
  });
});

describe('TLS flags that do not fit together', () => {
  const dir = tempDataDir('actiongate-badtls-');
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a certificate without its key, a key without its certificate, and a client CA without either', async () => {
    const data = join(dir, 'data');
    expectOneLineFailure(await runServe(data, ['--tls-cert', certs.server.certFile]), '--tls-cert needs --tls-key');
    expectOneLineFailure(await runServe(data, ['--tls-key', certs.server.keyFile]), '--tls-key needs --tls-cert');
    expectOneLineFailure(await runServe(data, ['--tls-client-ca', certs.caFile]), '--tls-client-ca needs --tls-cert and --tls-key');
  });

  it('refuses a missing file and a key that is not the certificate\'s, naming the files', async () => {
    const data = join(dir, 'data');
    const missing = join(dir, 'missing.crt');
    expectOneLineFailure(await runServe(data, ['--tls-cert', missing, '--tls-key', certs.server.keyFile]), `cannot read the TLS certificate ${missing} (--tls-cert): ENOENT`);
    const other = certs.client('someone');
    expectOneLineFailure(await runServe(data, ['--tls-cert', certs.server.certFile, '--tls-key', other.keyFile]), certs.server.certFile, other.keyFile, 'key values mismatch');
  });
});
