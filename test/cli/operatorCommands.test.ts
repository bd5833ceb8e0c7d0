import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION } from '../../src/shared/packageVersion.js';
import { actionIn, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { freePort } from '../support/freePort.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { runCli, type CliRun } from '../startup/runCli.js';

/** The column each header word starts at, and the rows' cells at those columns. */
function columns(text: string): { starts: number[]; rows: string[][] } {
  const [header, ...rows] = text.trimEnd().split('\n');
  const starts = [...header!.matchAll(/\S+/g)].map((m) => m.index);
  const cells = rows.map((row) => starts.map((start, i) => row.slice(start, starts[i + 1]).trim()));
  return { starts, rows: cells };
}

describe('the operator commands as a person uses them', () => {
  let t: TestServer;
  let server: string[];
  beforeAll(async () => {
    t = await startTestServer();
    server = ['--server', t.address];
  });
  afterAll(async () => {
    await t.stop();
  });
  const cli = (...args: string[]): Promise<CliRun> => runCli([...args, ...server]);

  it('lists actions as an aligned table with id, type, node/service, risk, status and age; --json gives the gRPC JSON', async () => {
    const node = uniqueNode('table');
    const pending = await proposeAction(t.actions, { node, service: 'checkout', actionType: 'redeploy_service' });
    const approved = (await actionIn(t.actions, 'APPROVED', { node, service: 'api' })).action;

    const run = await cli('list', '--node', node);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('\u001b[');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['ID', 'TYPE', 'NODE/SERVICE', 'RISK', 'STATUS', 'AGE']);
    expect(lines).toHaveLength(3);
    const { starts, rows } = columns(run.stdout);
    // Aligned: every cell starts at its header's column, with a space before it.
    for (const line of lines.slice(1)) for (const start of starts.slice(1)) expect(line[start - 1], line).toBe(' ');
    expect(rows).toContainEqual([pending.actionId, 'redeploy_service', `${node}/checkout`, 'GUARDED', 'PENDING', expect.stringMatching(/^\d+s$/)]);
    expect(rows).toContainEqual([approved.actionId, 'rerun_healthcheck', `${node}/api`, 'SAFE', 'APPROVED', expect.stringMatching(/^\d+s$/)]);

    const json = await cli('list', '--node', node, '--json');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { actions: { actionId: string; status: string }[] };
    expect(listed.actions.map((a) => a.actionId).sort()).toEqual([pending.actionId, approved.actionId].sort());
    expect(listed.actions.find((a) => a.actionId === pending.actionId)!.status).toBe('ACTION_STATUS_PENDING');
  });

  it('shows one action as a card with its history, and as JSON with --json', async () => {
    const { action } = await actionIn(t.actions, 'APPROVED', { node: uniqueNode('card') });
    const run = await cli('get', action.actionId);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Action: +${action.actionId}$`, 'm'));
    expect(run.stdout).toMatch(/^Status: +APPROVED$/m);
    expect(run.stdout).toMatch(/^Risk: +SAFE/m);
    expect(run.stdout).toContain('History:');
    expect(run.stdout).toMatch(/proposed -> PENDING +by anonymous/);
    expect(run.stdout).toMatch(/PENDING -> APPROVED +by anonymous +"looks right"/);
    const json = await cli('get', action.actionId, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ action: { actionId: action.actionId, status: 'ACTION_STATUS_APPROVED', history: [{}, {}] } });
  });

  it('accepts statuses as pending, PENDING or ACTION_STATUS_PENDING, repeated or comma-separated', async () => {
    const node = uniqueNode('enums');
    const pending = await proposeAction(t.actions, { node });
    const rejected = (await actionIn(t.actions, 'REJECTED', { node })).action;
    const completed = (await actionIn(t.actions, 'COMPLETED', { node })).action;
    const ids = async (...statusArgs: string[]): Promise<string[]> => {
      const run = await cli('list', '--node', node, '--json', ...statusArgs);
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { actions?: { actionId: string }[] }).actions?.map((a) => a.actionId).sort() ?? [];
    };
    for (const spelling of ['pending', 'PENDING', 'ACTION_STATUS_PENDING', 'Pending']) expect(await ids('--status', spelling)).toEqual([pending.actionId]);
    const both = [pending.actionId, rejected.actionId].sort();
    expect(await ids('--status', 'pending,REJECTED')).toEqual(both);
    expect(await ids('--status', 'pending', '--status', 'ACTION_STATUS_REJECTED')).toEqual(both);
    expect(await ids('--status', 'pending, rejected,completed')).toEqual([pending.actionId, rejected.actionId, completed.actionId].sort());

    const bad = await cli('list', '--status', 'pending,done');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status "done" is not one of pending, approved, running, completed, failed, rejected, terminated, expired');
    expect(bad.stdout).toBe('');
    const badRisk = await cli('propose', '--type', 'rerun_healthcheck', '--node', 'n', '--service', 's', '--risk', 'extreme');
    expect(badRisk.code).toBe(2);
    expect(badRisk.stderr).toContain('--risk "extreme" is not one of safe, guarded, dangerous');
    const risky = await cli('propose', '--type', 'rerun_healthcheck', '--node', node, '--service', 's', '--risk', 'RISK_LEVEL_DANGEROUS', '--json');
    expect(JSON.parse(risky.stdout)).toMatchObject({ action: { riskLevel: 'RISK_LEVEL_DANGEROUS' } });
  });

  it('notes on stderr when the server kept a higher risk than --risk asked for', async () => {
    const raised = await cli('propose', '--type', 'redeploy_service', '--node', uniqueNode(), '--service', 'checkout', '--risk', 'safe');
    expect(raised.code, raised.stderr).toBe(0);
    expect(raised.stderr).toContain('note: you asked for --risk safe, but redeploy_service is GUARDED');
    expect(raised.stdout).toMatch(/^proposed \S+: redeploy_service on .*, GUARDED; PENDING/);
    const asked = await cli('propose', '--type', 'redeploy_service', '--node', uniqueNode(), '--service', 'checkout', '--risk', 'dangerous');
    expect(asked.code).toBe(0);
    expect(asked.stderr).toBe('');
  });

  it('exits 2 for usage mistakes, naming the flag as typed, before calling the server', async () => {
    const cases: [string[], string][] = [
      [['propose', '--node', 'n', '--service', 's'], '--type is required'],
      [['propose', '--type', 't', '--service', 's'], '--node is required'],
      [['propose', '--type', 't', '--node', 'n', '--service', 's', '--confidence', '2'], '--confidence must be a number from 0 to 1'],
      [['propose', '--type', 't', '--node', 'n', '--service', 's', '--payload', '[1]'], '--payload must be a JSON object'],
      [['list', '--colour'], 'list has no flag --colour'],
      [['approve'], 'approve needs an action id'],
      [['approve', 'a', 'b'], 'approve takes one action id'],
      [['get', 'x', '--reason', 'r'], 'get does not take --reason'],
      [['reject', '0192f5c4-0000-7000-8000-000000000000'], '--reason is required'],
      [['list', '--timeout', 'soon'], '--timeout must be a duration'],
      [['list', '--page-size', '0'], '--page-size must be a whole number'],
    ];
    for (const [args, fragment] of cases) {
      const run = await cli(...args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(/^actiongate: /);
      expect(run.stderr).toContain(fragment);
      expect(run.stderr).toContain('--help');
    }
    // Checked by the server: a bad id is a usage mistake too, its status named.
    const badId = await cli('approve', 'not-a-uuid');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('INVALID_ARGUMENT');
  });

  it('exits 3 when the action does not exist and 4 when the move is illegal, saying what to do next', async () => {
    const missing = await cli('get', '0192f5c4-0000-7000-8000-000000000000');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('not found (NOT_FOUND)');
    expect(missing.stderr).toContain('`actiongate list`');
    const { action } = await actionIn(t.actions, 'COMPLETED');
    const illegal = await cli('approve', action.actionId);
    expect(illegal.code).toBe(4);
    expect(illegal.stderr).toContain(`approve refused (FAILED_PRECONDITION): action ${action.actionId} is COMPLETED`);
    expect(illegal.stderr).toContain('actiongate get ID');
    expect(illegal.stderr).not.toMatch(/status \d/);
  });

  it('prints --help for every command and --version, exiting 0', async () => {
    const commands = ['serve', 'executor', 'verify', 'auth', 'watch', 'demo', 'propose', 'approve', 'reject', 'get', 'list', 'pause', 'resume', 'terminate', 'halt', 'unhalt', 'control-state'];
    for (const command of commands) {
      const run = await runCli([command, '--help']);
      expect(run.code, `${command} --help: ${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(`usage: actiongate ${command}`);
    }
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`actiongate ${PACKAGE_VERSION}`);
  });
});

describe('halt and unhalt from the CLI', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('reports a halt already in force, and unhalt when not halted, as such with exit 0', async () => {
    const server = ['--server', t.address];
    const first = await runCli(['halt', '--reason', 'incident 7', ...server]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('halted: no approvals or claims');
    const again = await runCli(['halt', ...server]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('actiongate was already halted (by anonymous');
    expect(again.stdout).toContain('"incident 7"');
    expect(again.stdout).toContain('nothing changed');
    const json = await runCli(['halt', '--json', ...server]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ halt: { halted: true } });

    const state = await runCli(['control-state', ...server]);
    expect(state.stdout).toMatch(/^Halted: +yes/m);
    expect(state.stdout).toContain(`actiongate ${PACKAGE_VERSION}`);

    expect((await runCli(['unhalt', ...server])).stdout).toContain('unhalted');
    const notHalted = await runCli(['unhalt', ...server]);
    expect(notHalted.code, notHalted.stderr).toBe(0);
    expect(notHalted.stdout).toContain('actiongate is not halted; nothing changed');
  });
});

describe('a server that cannot be reached', () => {
  const held: Socket[] = [];
  let silent: Server;
  let silentAddress: string;
  beforeAll(async () => {
    // Accepts connections and never answers: no HTTP/2 settings, no response.
    silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentAddress = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('says the connection was refused and whether `actiongate serve` runs, with exit 5', async () => {
    const port = await freePort();
    const run = await runCli(['list', '--server', `127.0.0.1:${port}`]);
    expect(run.code).toBe(5);
    expect(run.stderr.trim()).toBe(`actiongate: cannot reach 127.0.0.1:${port} (connection refused): is \`actiongate serve\` running? (--server or ACTIONGATE_SERVER names it)`);
    expect(run.stderr).not.toContain('Resolution note');
  });

  it('gives up on a server that accepts and never answers when the deadline hits, --timeout or the 10 s default, with exit 5', async () => {
    const [short, byDefault] = await Promise.all([
      runCli(['get', '0192f5c4-0000-7000-8000-000000000000', '--server', silentAddress, '--timeout', '1s']),
      runCli(['list', '--server', silentAddress]),
    ]);
    expect(short.code, short.stderr).toBe(5);
    expect(short.stderr).toContain(`${silentAddress} did not answer within 1 s (DEADLINE_EXCEEDED)`);
    expect(short.stderr).toContain('--timeout');
    // runCli kills what outlives its 20 s bound (code null): the default deadline ended it.
    expect(byDefault.code, byDefault.stderr).toBe(5);
    expect(byDefault.stderr).toContain('did not answer within 10 s');
  });
});
