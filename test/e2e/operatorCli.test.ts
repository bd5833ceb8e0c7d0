import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/testServer.js';

const run = promisify(execFile);

describe('the operator commands', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function cli(...args: string[]): Promise<{ code: number; json: any; stderr: string }> {
    try {
      const { stdout, stderr } = await run('node', ['bin/actiongate.js', ...args, '--server', t.address, '--json']);
      return { code: 0, json: JSON.parse(stdout), stderr };
    } catch (err) {
      const failed = err as { code: number; stderr: string };
      return { code: failed.code, json: null, stderr: failed.stderr };
    }
  }

  it('propose, approve, pause, terminate and read back, printing proto JSON', async () => {
    const proposed = await cli('propose', '--type', 'redeploy_service', '--node', 'web-3', '--service', 'checkout',
      '--payload', '{"image":"checkout:1.4.2"}', '--confidence', '0.8', '--risk', 'dangerous');
    expect(proposed.code).toBe(0);
    const id: string = proposed.json.action.actionId;
    expect(proposed.json.action).toMatchObject({ status: 'ACTION_STATUS_PENDING', riskLevel: 'RISK_LEVEL_DANGEROUS', payload: { image: 'checkout:1.4.2' } });

    // DANGEROUS needs two approvals; the first leaves it PENDING.
    const first = (await cli('approve', id, '--reason', 'looks right')).json.action;
    expect(first).toMatchObject({ status: 'ACTION_STATUS_PENDING', approvalsRequired: 2, decisions: [{ kind: 'DECISION_KIND_APPROVE' }] });
    expect((await cli('approve', id, '--reason', 'agreed')).json.action.status).toBe('ACTION_STATUS_APPROVED');
    expect((await cli('pause', id)).json.signal.signal).toBe('SIGNAL_PAUSE');
    expect((await cli('terminate', id, '--reason', 'wrong cluster')).json.action.status).toBe('ACTION_STATUS_TERMINATED');
    const listed = await cli('list', '--status', 'terminated');
    expect(listed.json.actions.map((a: { actionId: string }) => a.actionId)).toEqual([id]);
    const state = await cli('control-state', id);
    expect(state.json.action.controlState).toBe('CONTROL_STATE_TERMINATED');
  });

  it('reports a refused call with its status named, and exits 2 for a bad argument', async () => {
    const refused = await cli('approve', 'not-a-uuid');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('action_id: must be a UUID');
    expect(refused.stderr).toContain('INVALID_ARGUMENT');
    expect(refused.stderr).not.toContain(`status ${status.INVALID_ARGUMENT}`);
  });
});
