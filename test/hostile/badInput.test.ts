import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionStatus } from '../../src/gen/actiongate/v1/action.js';
import { ProposeRequest } from '../../src/gen/actiongate/v1/action_service.js';
import { actionIn, uniqueNode } from '../support/actionFactory.js';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

/** An object nested `depth` levels deep (the document itself is level 1). */
function nestedObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < depth; level++) value = { next: value };
  return value;
}

/** A document whose array nesting reaches `depth` levels. */
function nestedList(depth: number): Record<string, unknown> {
  let value: unknown = [1];
  for (let level = 2; level < depth; level++) value = [value];
  return { list: value };
}

/** Bytes of a ProposeRequest whose idempotency_key is `keyBytes` exactly, valid UTF-8 or not. */
function proposeWithRawKey(node: string, keyBytes: Buffer): Buffer {
  const base = Buffer.from(ProposeRequest.encode({ ...ProposeRequest.fromPartial({ actionType: 'rerun_healthcheck', node, service: 'api' }) }).finish());
  // Field 9 (idempotency_key), wire type 2: tag 0x4a, then the length and the bytes as given.
  return Buffer.concat([base, Buffer.from([0x4a, keyBytes.length]), keyBytes]);
}

describe('hostile input gets a clear status and changes nothing', () => {
  let t: TestServer;
  let raw: Client;
  beforeAll(async () => {
    t = await startTestServer();
    raw = new Client(t.address, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    await t?.stop();
  });

  const actionsOn = async (node: string): Promise<number> => (await t.actions.listActions({ node, pageSize: 500 })).actions.length;

  it('a payload nested deeper than 32 levels is INVALID_ARGUMENT naming payload, whether or not the decoder could read it', async () => {
    const node = uniqueNode();
    const propose = (payload: Record<string, unknown>) => t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', payload });
    await expect(propose(nestedObject(32))).resolves.toMatchObject({ replayed: false });
    // 33 levels still decode; 40 and 1,000 are past what the generated decoder reads at all.
    for (const depth of [33, 40, 1000]) {
      await expectGrpcError(propose(nestedObject(depth)), status.INVALID_ARGUMENT, 'payload', 'deeper than 32 levels');
      await expectGrpcError(propose(nestedList(depth)), status.INVALID_ARGUMENT, 'payload', 'deeper than 32 levels');
    }
    expect(await actionsOn(node)).toBe(1);
  });

  it('a result nested 1,000 deep is INVALID_ARGUMENT naming result, and the action stays RUNNING', async () => {
    const { action, leaseId } = await actionIn(t.actions, 'RUNNING');
    for (const depth of [33, 1000]) {
      await expectGrpcError(t.actions.complete({ actionId: action.actionId, leaseId, result: nestedObject(depth) }), status.INVALID_ARGUMENT, 'result');
    }
    expect((await t.actions.getAction({ actionId: action.actionId })).action?.status).toBe(ActionStatus.ACTION_STATUS_RUNNING);
  });

  it('a list of 100,000 statuses or action types is INVALID_ARGUMENT naming the field', async () => {
    const many = Array.from({ length: 100_000 }, () => ActionStatus.ACTION_STATUS_PENDING);
    await expectGrpcError(t.actions.listActions({ statuses: many }), status.INVALID_ARGUMENT, 'statuses', 'at most 100');
    await expectGrpcError(lastValueFrom(t.actions.watchActions({ statuses: many })), status.INVALID_ARGUMENT, 'statuses', 'at most 100');
    const types = Array.from({ length: 100_000 }, () => 'rerun_healthcheck');
    await expectGrpcError(t.actions.execute({ executorId: 'e', actionTypes: types }), status.INVALID_ARGUMENT, 'action_types', 'at most 100');
    // 100 copies of a status are within the limit and list each action once.
    const node = uniqueNode();
    await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api' });
    const listed = await t.actions.listActions({ node, statuses: Array.from({ length: 100 }, () => ActionStatus.ACTION_STATUS_PENDING) });
    expect(listed.actions).toHaveLength(1);
  });

  it('idempotency keys that differ only in lone surrogates are refused, not merged into one', async () => {
    const node = uniqueNode();
    for (const key of ['k\uD800', 'k\uDBFF', 'k\uDC00x']) {
      await expectGrpcError(
        t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: key }),
        status.INVALID_ARGUMENT,
        'idempotency_key',
      );
    }
    // A client that sends the surrogates' own bytes (not UTF-8) is refused the same way.
    for (const bytes of [Buffer.from([0x6b, 0xed, 0xa0, 0x80]), Buffer.from([0x6b, 0xed, 0xaf, 0xbf]), Buffer.from([0x6b, 0xff])]) {
      const err = await new Promise<ServiceError | null>((resolve) => {
        raw.makeUnaryRequest('/actiongate.v1.ActionService/Propose', (b: Buffer) => b, (b: Buffer) => b, proposeWithRawKey(node, bytes), new Metadata(), {}, (e) => resolve(e));
      });
      expect(err?.code, err?.details).toBe(status.INVALID_ARGUMENT);
      expect(err?.details).toContain('idempotency_key');
    }
    expect(await actionsOn(node)).toBe(0);
    // Keys that are well formed, astral characters included, still work and still replay.
    const first = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: 'k\uD83D\uDE00' });
    const again = await t.actions.propose({ actionType: 'rerun_healthcheck', node, service: 'api', idempotencyKey: 'k\uD83D\uDE00' });
    expect(again).toMatchObject({ replayed: true, action: { actionId: first.action!.actionId } });
  });

  it('free text, unlike an identifier, may hold U+FFFD', async () => {
    const { action } = await actionIn(t.actions, 'PENDING');
    // The SDK's encoder turns the surrogate into U+FFFD on the wire; reasons may hold U+FFFD, so this one is accepted as sent.
    const { action: rejected } = await t.actions.reject({ actionId: action.actionId, reason: 'bad \uD800 input' });
    expect(rejected?.history.at(-1)?.reason).toBe('bad \uFFFD input');
  });
});
