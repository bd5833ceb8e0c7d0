import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus, RiskLevel } from '../../src/gen/actiongate/v1/action.js';
import { getAction } from '../support/actionFactory.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const run = promisify(execFile);
// Debian's Python: the first python3 on PATH may be another one without python3-grpcio.
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../python/reflection_client.py', import.meta.url));

interface ReflectionReport {
  services: string[];
  files: string[];
  resolved: Record<string, string>;
  proposed: { action_id: string; status: string; risk_level: string; proposed_by: string; node: string; created_at_seconds: number; payload: Record<string, unknown> };
  fetched: { action_id: string; status: string; history: [string, string, string][] };
  health: Record<string, string>;
}

describe('a Python client through server reflection', () => {
  let t: TestServer;
  let report: ReflectionReport;
  beforeAll(async () => {
    t = await startTestServer();
    try {
      const { stdout } = await run(PYTHON, [SCRIPT, t.address], { timeout: 60_000 });
      report = JSON.parse(stdout) as ReflectionReport;
    } catch (err) {
      const { stderr } = err as { stderr?: string };
      throw new Error(
        `${PYTHON} ${SCRIPT} failed (python3-grpcio, python3-grpc-tools and grpc-proto come from scripts/install-system-deps.sh):\n${stderr ?? ''}`,
        { cause: err },
      );
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the services', () => {
    expect(report.services).toContain('actiongate.v1.ActionService');
    expect(report.services).toContain('grpc.health.v1.Health');
  });

  it('gets every file with its imports, so Timestamp and Struct resolve', () => {
    expect(report.files).toEqual(
      expect.arrayContaining(['actiongate/v1/action.proto', 'actiongate/v1/action_service.proto', 'google/protobuf/timestamp.proto', 'google/protobuf/struct.proto']),
    );
    expect(report.resolved).toEqual({
      timestamp: 'google.protobuf.Timestamp',
      struct: 'google.protobuf.Struct',
      created_at_type: 'google.protobuf.Timestamp',
      payload_type: 'google.protobuf.Struct',
      propose_input: 'actiongate.v1.ProposeRequest',
      propose_output: 'actiongate.v1.ProposeResponse',
    });
  });

  it('runs Propose and GetAction with messages built from the reflected descriptors', async () => {
    expect(report.proposed).toMatchObject({
      status: 'ACTION_STATUS_PENDING',
      risk_level: 'RISK_LEVEL_SAFE',
      proposed_by: 'anonymous',
      node: 'python-node',
      payload: { asked_by: 'python', lines: 200 },
    });
    expect(report.proposed.created_at_seconds).toBeGreaterThan(1_600_000_000);
    expect(report.fetched.action_id).toBe(report.proposed.action_id);
    expect(report.fetched.history).toEqual([['ACTION_STATUS_UNSPECIFIED', 'ACTION_STATUS_PENDING', 'anonymous']]);
    // The Node client sees what the Python client made.
    const stored = await getAction(t.actions, report.proposed.action_id);
    expect(stored).toMatchObject({
      status: ActionStatus.ACTION_STATUS_PENDING,
      riskLevel: RiskLevel.RISK_LEVEL_SAFE,
      actionType: 'collect_diagnostics',
      service: 'python-service',
      payload: { asked_by: 'python', lines: 200 },
    });
  });

  it('answers grpc.health.v1.Health/Check with SERVING', () => {
    expect(report.health).toEqual({ '': 'SERVING', 'actiongate.v1.ActionService': 'SERVING' });
  });
});
