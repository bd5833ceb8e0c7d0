import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startServe, stopAllServes } from '../auth/serveProcess.js';
import { proposeAction } from '../support/actionFactory.js';
import { tempDataDir } from '../support/testServer.js';
import { expectOneLineFailure, runCli, runServe } from '../startup/runCli.js';
import { writePolicyFile } from './governedServer.js';

const SAFE_RULE = `rules:
  - name: diagnostics
    action_types: [collect_diagnostics]
    services: ["web-*"]
`;

describe('actiongate serve --policy refuses a policy that could reach a DANGEROUS action', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const dir = tempDataDir('actiongate-policy-file-');
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a rule whose risk lists DANGEROUS: non-zero exit, one line naming the rule', async () => {
    const dir = fresh();
    const file = writePolicyFile(dir, `mode: enforce\nrules:\n  - name: fix-everything\n    risk: [SAFE, DANGEROUS]\n`);
    const dataDir = join(dir, 'data');
    const line = expectOneLineFailure(await runServe(dataDir, ['--policy', file]), 'rule "fix-everything"', 'DANGEROUS', file);
    expect(line).not.toContain('diagnostics');
    // The server refused before it listened: the same file given through the environment is refused the same way.
    expectOneLineFailure(await runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn'], { env: { ACTIONGATE_POLICY: file } }), 'rule "fix-everything"');
  });

  it('a rule naming an action type that a --catalog file makes DANGEROUS', async () => {
    const dir = fresh();
    const catalog = join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify([{ type: 'drain_node', risk: 'DANGEROUS', description: 'drain a node' }]));
    const file = writePolicyFile(dir, `mode: enforce\nrules:\n  - name: drains\n    action_types: [collect_diagnostics, drain_node]\n    risk: [SAFE, GUARDED]\n`);
    expectOneLineFailure(await runServe(join(dir, 'data'), ['--catalog', catalog, '--policy', file]), 'rule "drains"', '"drain_node"', 'DANGEROUS in the catalog');
    // Without the catalog the type is unknown, which is refused too.
    expectOneLineFailure(await runServe(join(dir, 'data2'), ['--policy', file]), 'rule "drains"', '"drain_node"', 'the catalog does not know');
  });

  it('a policy file that cannot be read: one line naming it, no stack trace', async () => {
    const dir = fresh();
    expectOneLineFailure(await runServe(join(dir, 'data'), ['--policy', join(dir, 'missing.yaml')]), 'cannot read --policy', 'missing.yaml', 'ENOENT');
    mkdirSync(join(dir, 'a-directory'));
    expectOneLineFailure(await runServe(join(dir, 'data'), ['--policy', join(dir, 'a-directory')]), 'cannot read --policy', 'EISDIR');
  });
});

describe('SIGHUP reloads the policy of a running actiongate serve', () => {
  const dir = tempDataDir('actiongate-policy-sighup-');
  const clients: ActionClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await stopAllServes();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recommend -> enforce takes effect without a restart, and a broken file keeps the previous policy in force', async () => {
    const file = writePolicyFile(dir, `mode: recommend\n${SAFE_RULE}`);
    mkdirSync(join(dir, 'data'));
    const serve = await startServe(join(dir, 'data'), ['--policy', file]);
    const client = new ActionClient(serve.address);
    clients.push(client);
    const propose = () => proposeAction(client, { actionType: 'collect_diagnostics', service: 'web-frontend' });

    expect(await client.getPolicy()).toMatchObject({ mode: 'recommend', source: file });
    const before = await propose();
    expect(before.status).toBe(ActionStatus.ACTION_STATUS_PENDING);
    expect(before.policyVerdict).toMatchObject({ rule: 'diagnostics', wouldApprove: true, mode: 'recommend' });
    const loadedBefore = (await client.getPolicy()).loadedAt!;

    let from = serve.logs.length;
    writePolicyFile(dir, `mode: enforce\n${SAFE_RULE}`);
    serve.signal('SIGHUP');
    await serve.waitForLog((l) => l.msg === 'policy reloaded', from);
    const enforced = await client.getPolicy();
    expect(enforced).toMatchObject({ mode: 'enforce', source: file });
    expect(enforced.loadedAt!.getTime()).toBeGreaterThanOrEqual(loadedBefore.getTime());
    const after = await propose();
    expect(after.status).toBe(ActionStatus.ACTION_STATUS_APPROVED);
    expect(after.decisions.map((d) => d.actor)).toEqual(['policy:diagnostics']);

    from = serve.logs.length;
    writePolicyFile(dir, `mode: recommend\nrules:\n  - name: fix-everything\n    risk: [DANGEROUS]\n`);
    serve.signal('SIGHUP');
    const refused = await serve.waitForLog((l) => l.msg.startsWith('policy not reloaded'), from);
    expect(String(refused.err)).toContain('rule "fix-everything"');
    expect(await client.getPolicy()).toMatchObject({ mode: 'enforce', loadedAt: enforced.loadedAt });
    expect((await propose()).status).toBe(ActionStatus.ACTION_STATUS_APPROVED);

    // A file that is not YAML at all is kept out the same way, and the server keeps serving.
    from = serve.logs.length;
    writePolicyFile(dir, 'mode: [enforce\n');
    serve.signal('SIGHUP');
    await serve.waitForLog((l) => l.msg.startsWith('policy not reloaded'), from);
    expect((await client.getPolicy()).mode).toBe('enforce');

    // Nor does a file that is gone.
    from = serve.logs.length;
    rmSync(file);
    serve.signal('SIGHUP');
    const gone = await serve.waitForLog((l) => l.msg.startsWith('policy not reloaded'), from);
    expect(String(gone.err)).toContain('cannot read --policy');
    expect((await client.getPolicy()).mode).toBe('enforce');
    expect(serve.logs.some((l) => l.msg === 'stopped')).toBe(false);
    expect(await serve.stop()).toMatchObject({ code: 0 });
  });
});
