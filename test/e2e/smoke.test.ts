import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

describe('smoke', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('runs one action through its lifecycle', async () => {
    const { action } = await t.actions.propose({ actionType: 'rerun_healthcheck', node: 'n1', service: 'api', confidence: 0.9, payload: { a: 1 } });
    expect(action?.status).toBe(ActionStatus.ACTION_STATUS_PENDING);
    const id = action!.actionId;
    await t.actions.approve({ actionId: id, reason: 'ok' });
    const claimed = await t.actions.execute({ executorId: 'e1' });
    expect(claimed.action?.actionId).toBe(id);
    const done = await t.actions.complete({ actionId: id, leaseId: claimed.leaseId, result: { ok: true } });
    expect(done.action?.status).toBe(ActionStatus.ACTION_STATUS_COMPLETED);
    expect(done.action?.history.map((e) => e.to)).toEqual([1, 2, 3, 4]);
    expect(done.action?.result).toEqual({ ok: true });
  });
});
