import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { clientCredentials } from '../../src/client/clientCredentials.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { expectOneLineFailure, runCli } from '../startup/runCli.js';
import { tempDataDir } from '../support/testServer.js';
import { startServe, stopAllServes, type ServeProcess } from './serveProcess.js';
import { makeTestCertificates } from './testCertificates.js';

/** 32 random bytes in URL-safe base64: at least 43 characters. */
const TOKEN_LINE = /^[A-Za-z0-9_-]{43,}\n$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** `auth add`, checked to print a token and nothing else; returns the token. */
async function addPrincipal(authFile: string, name: string, ...flags: string[]): Promise<string> {
  const run = await runCli(['auth', 'add', name, '--auth-file', authFile, ...flags]);
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(TOKEN_LINE);
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

describe('actiongate auth', () => {
  const dir = tempDataDir('actiongate-authcli-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds a principal, printing its token once and keeping only its SHA-256 in a file only its owner reads', async () => {
    const file = join(dir, 'auth.yaml');
    const token = await addPrincipal(file, 'alice', '--roles', 'approver,operator');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(sha256(token));
    expect(text).not.toContain(token);
    const second = await addPrincipal(file, 'runner', '--roles', 'executor', '--executor-ids', 'runner-1,runner-2');
    expect(second).not.toBe(token);
    expectOneLineFailure(await runCli(['auth', 'add', 'alice', '--roles', 'agent', '--auth-file', file]), 'already has a principal named alice');
    expectOneLineFailure(await runCli(['auth', 'add', 'mallory', '--roles', 'overlord', '--auth-file', file]), 'unknown role "overlord"');
  });

  it('lists names and roles, never a hash, and removes a principal', async () => {
    const file = join(dir, 'list.yaml');
    await addPrincipal(file, 'alice', '--roles', 'approver,operator');
    await addPrincipal(file, 'runner', '--roles', 'executor', '--executor-ids', 'runner-1,runner-2');
    const listed = await runCli(['auth', 'list', '--auth-file', file]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe('alice\tapprover,operator\nrunner\texecutor executor_ids=runner-1,runner-2\n');
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);

    const removed = await runCli(['auth', 'remove', 'alice'], { env: { ACTIONGATE_AUTH_FILE: file } });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('');
    expect((await runCli(['auth', 'list', '--auth-file', file])).stdout).toBe('runner\texecutor executor_ids=runner-1,runner-2\n');
    expectOneLineFailure(await runCli(['auth', 'remove', 'alice', '--auth-file', file]), 'has no principal named alice');
  });

  it('speaks JSON with --json: add gives the name and token, list never a hash, remove names what it removed', async () => {
    const file = join(dir, 'json.yaml');
    const added = await runCli(['auth', 'add', 'bob', '--roles', 'viewer', '--auth-file', file, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const { name, token } = JSON.parse(added.stdout) as { name: string; token: string };
    expect(name).toBe('bob');
    expect(readFileSync(file, 'utf8')).toContain(sha256(token));
    await addPrincipal(file, 'runner', '--roles', 'executor', '--executor-ids', 'runner-1');
    const listed = await runCli(['auth', 'list', '--auth-file', file, '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      { name: 'bob', roles: ['viewer'], executorIds: [], certificateCn: null },
      { name: 'runner', roles: ['executor'], executorIds: ['runner-1'], certificateCn: null },
    ]);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);
    expect(JSON.parse((await runCli(['auth', 'remove', 'bob', '--auth-file', file, '--json'])).stdout)).toEqual({ removed: 'bob' });
  });
});

const BOT_TOKEN = 'bot-token-for-the-mutual-tls-test-0123456789';

describe('client commands with a token, against a server with an auth file', () => {
  const dir = tempDataDir('actiongate-clitoken-');
  const authFile = join(dir, 'auth.yaml');
  const tokenFile = join(dir, 'token');
  let oncallToken: string;
  let botToken: string;
  let serve: ServeProcess;
  let server: string[];

  beforeAll(async () => {
    oncallToken = await addPrincipal(authFile, 'oncall', '--roles', 'agent,approver,operator');
    botToken = await addPrincipal(authFile, 'deploy-bot', '--roles', 'agent');
    writeFileSync(tokenFile, `${oncallToken}\n`, { mode: 0o600 });
    serve = await startServe(join(dir, 'data'), ['--auth-file', authFile]);
    server = ['--server', serve.address];
  });
  afterAll(async () => {
    await stopAllServes();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acts as the principal of --token, --token-file or ACTIONGATE_TOKEN, and is refused without one', async () => {
    const proposed = await runCli(['propose', ...server, '--type', 'rerun_healthcheck', '--node', 'web-1', '--service', 'api', '--token', botToken, '--json']);
    expect(proposed.code, proposed.stderr).toBe(0);
    const action = (JSON.parse(proposed.stdout) as { action: { actionId: string; proposedBy: string } }).action;
    expect(action.proposedBy).toBe('deploy-bot');

    const fetched = await runCli(['get', action.actionId, ...server, '--token-file', tokenFile, '--json']);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ action: { actionId: action.actionId } });

    const approved = await runCli(['approve', action.actionId, ...server, '--json'], { env: { ACTIONGATE_TOKEN: oncallToken } });
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ action: { status: 'ACTION_STATUS_APPROVED' } });

    const anonymous = await runCli(['get', action.actionId, ...server]);
    expect(anonymous.code).toBe(4);
    expect(anonymous.stderr).toContain('(UNAUTHENTICATED)');
    const agent = await runCli(['halt', ...server, '--token', botToken]);
    expect(agent.code).toBe(4);
    expect(agent.stderr).toContain('(PERMISSION_DENIED)');
    expect(agent.stderr).toContain('operator');
  });

  it('refuses a token and a token file together, and an empty token file, without printing a token', async () => {
    expectOneLineFailure(await runCli(['list', ...server, '--token', oncallToken, '--token-file', tokenFile]), '--token or --token-file, not both');
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '\n');
    expectOneLineFailure(await runCli(['list', ...server, '--token-file', empty]), `--token-file ${empty} is empty`);
    const bad = await runCli(['list', ...server, '--token', 'two words']);
    expectOneLineFailure(bad, '--token must be');
    expect(bad.stderr).not.toContain('two words');
  });

  it('watches with --token-file', async () => {
    const watched = await runCli(['watch', ...server, '--token-file', tokenFile, '--json'], { until: (out) => out.includes('\n') });
    const first = JSON.parse(watched.stdout.split('\n')[0]!) as { event: { actor: string } };
    expect(first.event.actor).toBe('deploy-bot');
  });

  it('stops an executor whose principal lacks the executor role, promptly and with a non-zero exit', async () => {
    const started = performance.now();
    const run = await runCli(['executor', ...server, '--executor-id', 'deploy-bot', '--token', botToken]);
    const elapsedMs = performance.now() - started;
    // A refusal must not be retried forever; runCli kills what outlives its bound (code null).
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('PERMISSION_DENIED');
    expect(run.stdout).toContain('executor giving up');
    expect(run.stdout + run.stderr).not.toContain(botToken);
    expect(elapsedMs).toBeLessThan(20_000);
  });
});

describe('client commands over mutual TLS', () => {
  const dir = tempDataDir('actiongate-climtls-');
  afterAll(async () => {
    await stopAllServes();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an operator command and an executor that present a certificate act as its principal', async () => {
    const certs = makeTestCertificates(dir);
    const authFile = join(dir, 'auth.yaml');
    writeFileSync(authFile, [
      'principals:',
      '  - {name: root, roles: [admin], certificate_cn: root.example}',
      '  - {name: runner, roles: [executor], certificate_cn: runner.example, executor_ids: [runner-1]}',
      `  - {name: bot, roles: [agent], token_sha256: ${createHash('sha256').update(BOT_TOKEN).digest('hex')}}`,
      '',
    ].join('\n'));
    const serve = await startServe(join(dir, 'data'), [
      '--auth-file', authFile, '--tls-cert', certs.server.certFile, '--tls-key', certs.server.keyFile, '--tls-client-ca', certs.caFile,
    ]);
    const root = certs.client('root.example');
    const runner = certs.client('runner.example');
    const admin = new ActionClient(serve.address, { credentials: clientCredentials({ ca: certs.ca, cert: root.cert, key: root.key }) });
    // The proposer is someone else: nobody approves their own proposal.
    const bot = new ActionClient(serve.address, { credentials: clientCredentials({ ca: certs.ca, cert: root.cert, key: root.key }), token: BOT_TOKEN });
    try {
      const { action } = await bot.propose({ actionType: 'rerun_healthcheck', node: 'web-1', service: 'api' });
      expect(action?.proposedBy).toBe('bot');
      const tls = (who: typeof root) => ['--tls-ca', certs.caFile, '--tls-cert', who.certFile, '--tls-key', who.keyFile];
      const approved = await runCli(['approve', action!.actionId, '--server', serve.address, '--json', ...tls(root)]);
      expect(approved.code, approved.stderr).toBe(0);
      expect(JSON.parse(approved.stdout)).toMatchObject({ action: { status: 'ACTION_STATUS_APPROVED' } });

      const executor = await runCli(
        ['executor', '--server', serve.address, '--executor-id', 'runner-1', '--action-types', 'rerun_healthcheck', '--poll-wait-seconds', '5', ...tls(runner)],
        { until: (out) => out.includes('"action completed"') },
      );
      expect(executor.stdout, executor.stdout + executor.stderr).toContain('"action completed"');
      const done = (await admin.getAction({ actionId: action!.actionId })).action!;
      expect(done.status).toBe(ActionStatus.ACTION_STATUS_COMPLETED);
      const byRunner = done.history.filter((e) => e.actor === 'runner').map((e) => ActionStatus[e.to]);
      expect(byRunner).toEqual(['ACTION_STATUS_RUNNING', 'ACTION_STATUS_COMPLETED']);

      // Without --tls-cert the handshake is refused; the command says so and exits 5.
      const noCert = await runCli(['get', action!.actionId, '--server', serve.address, '--tls-ca', certs.caFile]);
      expect(noCert.code).toBe(5);
      expect(noCert.stderr).toContain(`cannot reach ${serve.address}`);
      expectOneLineFailure(await runCli(['get', action!.actionId, '--server', serve.address, '--tls-cert', root.certFile, '--tls-key', root.keyFile]), '--tls-cert needs --tls-ca');
    } finally {
      admin.close();
      bot.close();
      await serve.stop();
    }
  });
});
