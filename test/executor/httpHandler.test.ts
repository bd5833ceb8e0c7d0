import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { ControlClient } from '../../src/client/ControlClient.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { waitFor } from '../support/waitFor.js';
import { startExecutor } from './support/childExecutor.js';
import { approvedAction, scratchDir, stopExecutors, waitForStatus } from './support/executorFixture.js';

interface Received {
  readonly path: string;
  readonly method: string;
  readonly body: Record<string, unknown>;
  readonly authorization: string | undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
}

describe('actiongate executor: HTTP handlers', () => {
  let t: TestServer;
  let endpoint: Server;
  let base: string;
  let scratch: ReturnType<typeof scratchDir>;
  let control: ControlClient;
  const received: Received[] = [];
  /** Responses to /held requests, sent when the test says so. */
  const held: (() => void)[] = [];

  beforeEach(async () => {
    t = await startTestServer();
    control = new ControlClient(t.address);
    scratch = scratchDir();
    received.length = 0;
    held.length = 0;
    let flaky = 0;
    endpoint = createServer((req, res) => {
      void readBody(req).then((text) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        received.push({ path, method: req.method ?? '', body: JSON.parse(text) as Record<string, unknown>, authorization: req.headers.authorization });
        if (path === '/ok') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ healthy: true, checked: (JSON.parse(text) as { node: string }).node }));
        } else if (path === '/held') {
          held.push(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('held, then answered'));
        } else if (path === '/flaky') {
          flaky += 1;
          if (flaky === 1) res.writeHead(503).end('try again later');
          else res.writeHead(200, { 'content-type': 'text/plain' }).end('redeployed');
        } else {
          res.writeHead(400).end('unknown stage');
        }
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await stopExecutors();
    endpoint.closeAllConnections();
    await new Promise((resolve) => endpoint.close(resolve));
    control.close();
    await t.stop();
    scratch.cleanup();
  });

  it('completes on 2xx with the body, retries on 5xx, fails for good on 4xx, and never logs headers', async () => {
    const secret = 'Bearer s3cret-token-value';
    const file = scratch.file('handlers.json', JSON.stringify({
      rerun_healthcheck: { http: { url: `${base}/ok?token=query-secret`, method: 'POST', timeoutSeconds: 10, headers: { authorization: secret } } },
      redeploy_service: { http: { url: `${base}/flaky`, timeoutSeconds: 10 } },
      rerun_deployment_stage: { http: { url: `${base}/bad`, method: 'PUT', timeoutSeconds: 10 } },
    }));
    const executor = await startExecutor(t.address, 'http-1', ['--handlers', file]);

    const ok = await approvedAction(t.actions, 'rerun_healthcheck');
    const done = await waitForStatus(t.actions, ok.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result).toMatchObject({ status: 200, body: { healthy: true, checked: ok.node }, bodyTruncated: false });
    const call = received.find((r) => r.body.actionId === ok.actionId)!;
    expect(call).toMatchObject({ method: 'POST', authorization: secret, body: { actionType: 'rerun_healthcheck', node: ok.node, status: 'ACTION_STATUS_RUNNING' } });

    const flaky = await approvedAction(t.actions, 'redeploy_service');
    const redeployed = await waitForStatus(t.actions, flaky.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(redeployed.attempt).toBe(2);
    expect(redeployed.result).toMatchObject({ status: 200, body: 'redeployed' });
    await executor.waitForLog({ msg: 'action failed', actionId: flaky.actionId, to: 'APPROVED', retryable: true });

    const bad = await approvedAction(t.actions, 'rerun_deployment_stage');
    const failed = await waitForStatus(t.actions, bad.actionId, ActionStatus.ACTION_STATUS_FAILED);
    expect(failed.attempt).toBe(1);
    expect(failed.error).toContain('answered 400: unknown stage');

    expect(executor.output()).not.toContain('s3cret');
    expect(executor.output()).not.toContain('query-secret');
  });

  it('lets a request already in flight complete when the action is paused, and says so', async () => {
    const file = scratch.file('handlers.json', JSON.stringify({ redeploy_service: { http: { url: `${base}/held`, timeoutSeconds: 30 } } }));
    const executor = await startExecutor(t.address, 'http-2', ['--handlers', file]);
    const action = await approvedAction(t.actions, 'redeploy_service');
    await waitFor(() => held.length, (n) => n === 1, { what: 'the request to arrive' });

    await control.pause(action.actionId, 'look first');
    await executor.waitForLog({ msg: 'paused with a request in flight: the request completes and its outcome is reported', actionId: action.actionId });
    held[0]!();
    const done = await waitForStatus(t.actions, action.actionId, ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.result).toMatchObject({ status: 200, body: 'held, then answered' });
    expect(received.filter((r) => r.body.actionId === action.actionId)).toHaveLength(1);
  });
});
