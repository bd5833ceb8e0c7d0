import { randomUUID } from 'node:crypto';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus, RiskLevel } from '../../src/gen/actiongate/v1/action.js';
import type { ProposeRequest } from '../../src/gen/actiongate/v1/action_service.js';
import { actionIn, getAction, proposeAction, uniqueNode } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

const GOOD: Partial<ProposeRequest> = { actionType: 'rerun_healthcheck', node: 'n1', service: 'api', confidence: 0.5, payload: { a: 1 } };
/** Enum numbers the contract does not define; ts-proto encodes them as they are. */
const UNDEFINED_RISK = 99 as RiskLevel;
const undefinedStatus = (n: number) => n as ActionStatus;
const KNOWN_TYPES = ['collect_diagnostics', 'redeploy_service', 'rerun_deployment_stage', 'rerun_healthcheck'];

describe('errors and their status codes', () => {
  let t: TestServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.stop();
  });

  const propose = (overrides: Partial<ProposeRequest>) => t.actions.propose({ ...GOOD, node: uniqueNode(), ...overrides });
  const invalid = (call: Promise<unknown>, field: string) => expectGrpcError(call, status.INVALID_ARGUMENT, field);

  describe('action_id that is not a UUID is INVALID_ARGUMENT naming action_id', () => {
    const lease = '00000000-0000-4000-8000-000000000000';
    const calls = {
      GetAction: (id: string) => t.actions.getAction({ actionId: id }),
      Approve: (id: string) => t.actions.approve({ actionId: id }),
      Reject: (id: string) => t.actions.reject({ actionId: id, reason: 'no' }),
      Execute: (id: string) => t.actions.execute({ executorId: 'e', actionId: id }),
      Heartbeat: (id: string) => t.actions.heartbeat({ actionId: id, leaseId: lease }),
      Complete: (id: string) => t.actions.complete({ actionId: id, leaseId: lease }),
      Fail: (id: string) => t.actions.fail({ actionId: id, leaseId: lease, error: 'x' }),
    };
    it.each(Object.keys(calls))('%s', async (rpc) => {
      const call = calls[rpc as keyof typeof calls];
      for (const bad of ['not-a-uuid', '12345', `${randomUUID()}x`, ' ']) await invalid(call(bad), 'action_id');
      // Execute without action_id claims whatever is approved; everywhere else the id is required.
      if (rpc !== 'Execute') await invalid(call(''), 'action_id');
    });

    it.each(Object.keys(calls))('%s on an unknown id is NOT_FOUND', async (rpc) => {
      const id = randomUUID();
      await expectGrpcError(calls[rpc as keyof typeof calls](id), status.NOT_FOUND, id);
    });
  });

  it.each(['action_type', 'node', 'service'] as const)('Propose without %s is INVALID_ARGUMENT naming it', async (field) => {
    const key = ({ action_type: 'actionType', node: 'node', service: 'service' } as const)[field];
    await invalid(propose({ [key]: '' }), field);
    await invalid(propose({ [key]: '   ' }), field);
  });

  it('an unknown action_type is INVALID_ARGUMENT listing the known types', async () => {
    const err = await invalid(propose({ actionType: 'format_disk' }), 'action_type');
    for (const type of KNOWN_TYPES) expect(err.details).toContain(type);
  });

  it.each([-0.01, 1.01, -1, 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'confidence %d is INVALID_ARGUMENT naming confidence',
    async (confidence) => {
      await invalid(propose({ confidence }), 'confidence');
    },
  );

  it('confidence 0 and 1 are in range', async () => {
    expect((await propose({ confidence: 0 })).action?.confidence).toBe(0);
    expect((await propose({ confidence: 1 })).action?.confidence).toBe(1);
  });

  it('a payload over 64 KiB as JSON is INVALID_ARGUMENT naming payload; one of exactly 64 KiB is accepted', async () => {
    const overhead = JSON.stringify({ blob: '' }).length;
    await invalid(propose({ payload: { blob: 'x'.repeat(64 * 1024 - overhead + 1) } }), 'payload');
    await invalid(propose({ payload: { blob: 'x'.repeat(1024 * 1024) } }), 'payload');
    const ok = await propose({ payload: { blob: 'x'.repeat(64 * 1024 - overhead) } });
    expect((ok.action?.payload as { blob: string }).blob).toHaveLength(64 * 1024 - overhead);
  });

  it('a payload holding NaN or an infinity is INVALID_ARGUMENT naming payload', async () => {
    await invalid(propose({ payload: { score: Number.NaN } }), 'payload');
    await invalid(propose({ payload: { deep: { list: [1, Number.POSITIVE_INFINITY] } } }), 'payload.deep.list[1]');
  });

  it('a result over the size limit or holding NaN is INVALID_ARGUMENT naming result, and the action keeps running', async () => {
    const p = await actionIn(t.actions, 'RUNNING');
    await invalid(t.actions.complete({ actionId: p.action.actionId, leaseId: p.leaseId, result: { x: 'y'.repeat(70 * 1024) } }), 'result');
    await invalid(t.actions.complete({ actionId: p.action.actionId, leaseId: p.leaseId, result: { x: Number.NaN } }), 'result');
    expect((await getAction(t.actions, p.action.actionId)).status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
  });

  it('an undefined enum number is INVALID_ARGUMENT naming the field', async () => {
    await invalid(propose({ riskLevel: UNDEFINED_RISK }), 'risk_level');
    await invalid(propose({ riskLevel: -1 as RiskLevel }), 'risk_level');
    await invalid(t.actions.listActions({ statuses: [undefinedStatus(99)] }), 'statuses');
    await invalid(t.actions.listActions({ statuses: [ActionStatus.ACTION_STATUS_PENDING, undefinedStatus(42)] }), 'statuses');
    await invalid(lastValueFrom(t.actions.watchActions({ statuses: [undefinedStatus(99)] })), 'statuses');
  });

  it('WatchActions from a sequence no server could have issued is INVALID_ARGUMENT naming after_sequence', async () => {
    await invalid(lastValueFrom(t.actions.watchActions({ afterSequence: '18446744073709551615' })), 'after_sequence');
  });

  it('nothing is created by a refused proposal', async () => {
    const node = uniqueNode();
    await invalid(t.actions.propose({ ...GOOD, node, confidence: Number.NaN }), 'confidence');
    await invalid(t.actions.propose({ ...GOOD, node, riskLevel: UNDEFINED_RISK }), 'risk_level');
    expect((await t.actions.listActions({ node })).actions).toEqual([]);
  });

  it('Reject without a reason is INVALID_ARGUMENT naming reason and leaves the action PENDING', async () => {
    const action = await proposeAction(t.actions);
    await invalid(t.actions.reject({ actionId: action.actionId, reason: '' }), 'reason');
    await invalid(t.actions.reject({ actionId: action.actionId, reason: '  ' }), 'reason');
    const after = await getAction(t.actions, action.actionId);
    expect(after.status).toBe(ActionStatus.ACTION_STATUS_PENDING);
    expect(after.history).toHaveLength(1);
  });

  it('reasons and texts over their length limits are INVALID_ARGUMENT naming the field', async () => {
    const action = await proposeAction(t.actions);
    await invalid(t.actions.approve({ actionId: action.actionId, reason: 'r'.repeat(1025) }), 'reason');
    await invalid(t.actions.reject({ actionId: action.actionId, reason: 'r'.repeat(1025) }), 'reason');
    await invalid(propose({ node: 'n'.repeat(257) }), 'node');
    await invalid(propose({ idempotencyKey: 'k'.repeat(257) }), 'idempotency_key');
    expect((await getAction(t.actions, action.actionId)).status).toBe(ActionStatus.ACTION_STATUS_PENDING);
  });

  it('a page_token the server did not issue is INVALID_ARGUMENT naming page_token', async () => {
    for (const token of ['garbage', 'djE6bm90LWEtdXVpZA', '!!!']) await invalid(t.actions.listActions({ pageToken: token }), 'page_token');
    await invalid(t.actions.listActions({ pageSize: 501 }), 'page_size');
  });

  it('Fail without an error is INVALID_ARGUMENT naming error and the action keeps running', async () => {
    const p = await actionIn(t.actions, 'RUNNING');
    await invalid(t.actions.fail({ actionId: p.action.actionId, leaseId: p.leaseId, error: '' }), 'error');
    const after = await getAction(t.actions, p.action.actionId);
    expect(after.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
    expect(after.history).toHaveLength(3);
  });

  it('a lease_id that is not a UUID is INVALID_ARGUMENT naming lease_id', async () => {
    const p = await actionIn(t.actions, 'RUNNING');
    const actionId = p.action.actionId;
    await invalid(t.actions.complete({ actionId, leaseId: 'lease-1' }), 'lease_id');
    await invalid(t.actions.fail({ actionId, leaseId: 'lease-1', error: 'x' }), 'lease_id');
    await invalid(t.actions.heartbeat({ actionId, leaseId: '' }), 'lease_id');
    expect((await getAction(t.actions, actionId)).status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
  });

  it('Execute without executor_id, or with a lease_ttl_seconds too large, is INVALID_ARGUMENT naming the field', async () => {
    await invalid(t.actions.execute({ executorId: '' }), 'executor_id');
    await invalid(t.actions.execute({ executorId: 'e', leaseTtlSeconds: 10_000_000 }), 'lease_ttl_seconds');
    await invalid(t.actions.execute({ executorId: 'e', waitSeconds: 10_000 }), 'wait_seconds');
  });

  it('bytes no protobuf library could parse get an error status, never crash the server', async () => {
    const raw = new Client(t.address, credentials.createInsecure());
    clients.push(raw);
    const send = (bytes: Buffer) =>
      new Promise<ServiceError | null>((resolve) => {
        raw.makeUnaryRequest('/actiongate.v1.ActionService/Propose', (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), {}, (err) => resolve(err));
      });
    // Truncated varints and lengths: grpc-js answers INTERNAL itself, as gRPC's status-code table says.
    for (const garbage of [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x7f, 0x61])]) {
      const err = await send(garbage);
      expect(err, garbage.toString('hex')).not.toBeNull();
      expect(status[err!.code]).toBe('INTERNAL');
    }
    const text = await send(Buffer.from('\u0000\u0001not protobuf at all'));
    expect(text).not.toBeNull();
    expect(text!.code).not.toBe(status.UNAVAILABLE);
    // A message that parses (field 1 with the wrong wire type is skipped) is ours to judge: INVALID_ARGUMENT, not INTERNAL.
    const parsable = await send(Buffer.from([0x08, 0x01]));
    expect(status[parsable!.code]).toBe('INVALID_ARGUMENT');
    // The server still answers good calls.
    const ok = await propose({});
    expect(ok.action?.status).toBe(ActionStatus.ACTION_STATUS_PENDING);
  });
});
