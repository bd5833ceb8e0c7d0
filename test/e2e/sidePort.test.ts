import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/testServer.js';

describe('the HTTP side port', () => {
  let t: TestServer;
  let base: string;
  beforeAll(async () => {
    t = await startTestServer({ httpListen: '127.0.0.1:0' });
    base = `http://127.0.0.1:${t.server.httpPort}`;
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers the probes', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts calls by method and status, and committed transitions', async () => {
    await t.actions.propose({ actionType: 'rerun_healthcheck', node: 'n1', service: 'api' });
    await expect(t.actions.approve({ actionId: 'nope' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('actiongate_grpc_server_handled_total{grpc_method="Propose",grpc_code="OK"} 1');
    expect(text).toContain('actiongate_grpc_server_handled_total{grpc_method="Approve",grpc_code="INVALID_ARGUMENT"} 1');
    expect(text).toContain('actiongate_transitions_total{to="PENDING"} 1');
    expect(text).toMatch(/actiongate_grpc_server_handling_seconds_count\{grpc_method="Propose"\} 1/);
    expect(text).toContain('actiongate_control_subscribers 0');
  });
});
