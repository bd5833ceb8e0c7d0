import { fileURLToPath } from 'node:url';
import {
  credentials,
  loadPackageDefinition,
  status,
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { load, type MessageTypeDefinition, type PackageDefinition } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectGrpcError } from '../support/grpcAssertions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

/**
 * A client the way an agent without generated code builds one: the .proto files,
 * @grpc/proto-loader and grpc.loadPackageDefinition. Messages are plain objects with the
 * proto's snake_case names, enums are their names, 64-bit integers are strings.
 */
const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));
const PROTO_FILES = ['actiongate/v1/action_service.proto', 'actiongate/v1/control_service.proto'];
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] };
const CALL_TIMEOUT_MS = 10_000;

/**
 * google.protobuf.Value as proto-loader's bundled struct.proto (from protobufjs) names its fields:
 * camelCase even with keepCase, so `number_value` would be dropped without a word.
 */
interface WireValue {
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
  nullValue?: 'NULL_VALUE';
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: WireStruct;
  listValue?: { values: WireValue[] };
}
interface WireStruct {
  fields: Record<string, WireValue>;
}
interface WireTimestamp {
  seconds: string;
  nanos: number;
}
interface WireHistoryEvent {
  sequence: string;
  from: string;
  to: string;
  actor: string;
  reason: string;
}
interface WireAction {
  action_id: string;
  status: string;
  control_state: string;
  attempt: number;
  payload: WireStruct | null;
  result: WireStruct | null;
  history: WireHistoryEvent[];
  lease: { lease_id: string; executor_id: string; attempt: number } | null;
}
interface WireSignal {
  sequence: string;
  action_id: string;
  signal: string;
  reason: string;
  snapshot: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toValue(value: Json): WireValue {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value) };
}

function toStruct(object: { [key: string]: Json }): WireStruct {
  return { fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, toValue(value)])) };
}

function fromValue(value: WireValue): Json {
  switch (value.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return value.numberValue!;
    case 'stringValue':
      return value.stringValue!;
    case 'boolValue':
      return value.boolValue!;
    case 'listValue':
      return value.listValue!.values.map(fromValue);
    case 'structValue':
      return fromStruct(value.structValue!);
    default:
      throw new Error(`a google.protobuf.Value with no kind: ${JSON.stringify(value)}`);
  }
}

function fromStruct(struct: WireStruct): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(struct.fields).map(([key, value]) => [key, fromValue(value)]));
}

type UnaryMethod = (request: object, options: CallOptions, callback: (err: ServiceError | null, response?: unknown) => void) => void;

/** Calls the unary method `method` (as the .proto names it) of `client`. */
function unary<Response>(client: Client, method: string, request: object): Promise<Response> {
  const call = (client as unknown as Record<string, UnaryMethod>)[method];
  if (typeof call !== 'function') throw new Error(`the client has no method ${method}`);
  return new Promise((resolve, reject) => {
    call.call(client, request, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, response) => (err ? reject(err) : resolve(response as Response)));
  });
}

/** Resolves with the first message on `stream` from now on that `match` accepts; rejects if the stream fails first. */
function nextSignal(stream: ClientReadableStream<{ signal: WireSignal }>, match: (signal: WireSignal) => boolean): Promise<WireSignal> {
  return new Promise((resolve, reject) => {
    const onData = ({ signal }: { signal: WireSignal }): void => {
      if (!match(signal)) return;
      stream.off('error', onError);
      stream.off('data', onData);
      resolve(signal);
    };
    const onError = (err: Error): void => {
      stream.off('data', onData);
      reject(err);
    };
    stream.on('data', onData);
    stream.once('error', onError);
  });
}

describe('a client built from the .proto files with @grpc/proto-loader', () => {
  let t: TestServer;
  let definition: PackageDefinition;
  let actions: Client;
  let control: Client;
  const streams: ClientReadableStream<unknown>[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    definition = await load(PROTO_FILES, LOADER_OPTIONS);
    const { actiongate } = loadPackageDefinition(definition) as unknown as {
      actiongate: { v1: { ActionService: ServiceClientConstructor; ControlService: ServiceClientConstructor } };
    };
    actions = new actiongate.v1.ActionService(t.address, credentials.createInsecure());
    control = new actiongate.v1.ControlService(t.address, credentials.createInsecure());
  });
  afterAll(async () => {
    for (const stream of streams) stream.cancel();
    actions?.close();
    control?.close();
    await t?.stop();
  });

  const propose = (payload: { [key: string]: Json }) =>
    unary<{ action: WireAction }>(actions, 'Propose', {
      action_type: 'rerun_healthcheck', node: 'loader-node', service: 'api', confidence: 0.5, payload: toStruct(payload),
    });

  it('resolves Struct and Timestamp from the well-known types proto-loader bundles', () => {
    const fieldsOf = (name: string) => (definition[name] as MessageTypeDefinition<object, object>).type as { field: { name: string; typeName: string }[] };
    const actionFields = fieldsOf('actiongate.v1.Action').field;
    expect(actionFields.find((f) => f.name === 'payload')?.typeName).toBe('google.protobuf.Struct');
    expect(actionFields.find((f) => f.name === 'created_at')?.typeName).toBe('google.protobuf.Timestamp');
    expect(fieldsOf('google.protobuf.Timestamp').field.map((f) => f.name)).toEqual(['seconds', 'nanos']);
    expect(fieldsOf('google.protobuf.Struct').field.map((f) => f.name)).toEqual(['fields']);
    // The bundled Value keeps protobufjs's camelCase names: the ones toValue and fromValue use.
    expect(fieldsOf('google.protobuf.Value').field.map((f) => f.name)).toEqual([
      'nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue',
    ]);
  });

  it('runs propose, approve, execute, heartbeat and complete, and reads it all back with GetAction', async () => {
    const payload: { [key: string]: Json } = {
      target: { host: 'web-3', ports: [80, 443], tls: { enabled: true, expires: null } },
      checks: ['disk', 'net', 1.5, false, null, { deep: [] }],
      attempts: 3,
      dry_run: false,
      nothing: null,
    };
    const { action: proposed } = await propose(payload);
    expect(proposed.status).toBe('ACTION_STATUS_PENDING');
    expect(fromStruct(proposed.payload!)).toEqual(payload);
    const id = proposed.action_id;

    const { action: approved } = await unary<{ action: WireAction }>(actions, 'Approve', { action_id: id, reason: 'looks right' });
    expect(approved.status).toBe('ACTION_STATUS_APPROVED');

    const claimed = await unary<{ action: WireAction; lease_id: string; lease_expires_at: WireTimestamp; attempt: number }>(
      actions, 'Execute', { executor_id: 'loader-exec', action_id: id, lease_ttl_seconds: 60 },
    );
    expect(claimed.action.status).toBe('ACTION_STATUS_RUNNING');
    expect(claimed.lease_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(claimed.action.lease).toMatchObject({ lease_id: '', executor_id: 'loader-exec', attempt: 1 });
    expect(claimed.attempt).toBe(1);
    expect(typeof claimed.lease_expires_at.seconds).toBe('string');

    const beat = await unary<{ lease_expires_at: WireTimestamp; control_state: string; action: WireAction; halted: boolean }>(
      actions, 'Heartbeat', { action_id: id, lease_id: claimed.lease_id },
    );
    expect(beat.action.status).toBe('ACTION_STATUS_RUNNING');
    expect(beat.halted).toBe(false);
    expect(BigInt(beat.lease_expires_at.seconds)).toBeGreaterThanOrEqual(BigInt(claimed.lease_expires_at.seconds));

    const result = { healthy: true, took_ms: 1234, notes: ['all green'] };
    const { action: done } = await unary<{ action: WireAction }>(actions, 'Complete', { action_id: id, lease_id: claimed.lease_id, result: toStruct(result) });
    expect(done.status).toBe('ACTION_STATUS_COMPLETED');

    const { action: fetched } = await unary<{ action: WireAction }>(actions, 'GetAction', { action_id: id });
    expect(fetched.status).toBe('ACTION_STATUS_COMPLETED');
    expect(fromStruct(fetched.payload!)).toEqual(payload);
    expect(fromStruct(fetched.result!)).toEqual(result);
    expect(fetched.lease).toBeNull();
    expect(fetched.history.map((e) => [e.from, e.to])).toEqual([
      ['ACTION_STATUS_UNSPECIFIED', 'ACTION_STATUS_PENDING'],
      ['ACTION_STATUS_PENDING', 'ACTION_STATUS_APPROVED'],
      ['ACTION_STATUS_APPROVED', 'ACTION_STATUS_RUNNING'],
      ['ACTION_STATUS_RUNNING', 'ACTION_STATUS_COMPLETED'],
    ]);
    // uint64 arrives as a decimal string (longs: String), growing event by event.
    const sequences = fetched.history.map((e) => BigInt(e.sequence));
    expect(sequences.every((sequence, i) => i === 0 || sequence > sequences[i - 1]!)).toBe(true);
  });

  it('answers an action_id that is not a UUID with INVALID_ARGUMENT naming action_id', async () => {
    await expectGrpcError(unary(actions, 'GetAction', { action_id: 'not-a-uuid' }), status.INVALID_ARGUMENT, 'action_id');
    await expectGrpcError(unary(actions, 'Approve', { action_id: 'not-a-uuid' }), status.INVALID_ARGUMENT, 'action_id');
  });

  it('Subscribe sends the snapshot marker, then a live SIGNAL_TERMINATE for an action the executor holds', async () => {
    const executorId = 'loader-subscriber';
    const stream = (control as unknown as { Subscribe(request: object): ClientReadableStream<{ signal: WireSignal }> }).Subscribe({ executor_id: executorId });
    streams.push(stream);
    const received: WireSignal[] = [];
    const failures: Error[] = [];
    stream.on('data', ({ signal }: { signal: WireSignal }) => received.push(signal));
    stream.on('error', (err: Error) => failures.push(err));
    await nextSignal(stream, (s) => s.signal === 'SIGNAL_SNAPSHOT_COMPLETE');

    const { action } = await propose({ reason: 'terminate me' });
    await unary(actions, 'Approve', { action_id: action.action_id });
    const claimed = await unary<{ action: WireAction }>(actions, 'Execute', { executor_id: executorId, action_id: action.action_id });
    expect(claimed.action.status).toBe('ACTION_STATUS_RUNNING');

    const terminated = nextSignal(stream, (s) => s.signal === 'SIGNAL_TERMINATE');
    const answer = await unary<{ action: WireAction; signal: WireSignal }>(control, 'Terminate', { action_id: action.action_id, reason: 'wrong host' });
    expect(answer.action.status).toBe('ACTION_STATUS_TERMINATED');
    expect(await terminated).toMatchObject({ action_id: action.action_id, reason: 'wrong host', snapshot: false, sequence: answer.signal.sequence });
    // The snapshot (the halt state, then the marker) comes first; the terminate is the one signal after it.
    const marker = received.findIndex((s) => s.signal === 'SIGNAL_SNAPSHOT_COMPLETE');
    expect(received.slice(0, marker).every((s) => s.snapshot)).toBe(true);
    expect(received.slice(marker).map((s) => s.signal)).toEqual(['SIGNAL_SNAPSHOT_COMPLETE', 'SIGNAL_TERMINATE']);
    expect(failures).toEqual([]);

    const ended = new Promise<ServiceError>((resolve) => stream.once('error', resolve));
    stream.cancel();
    expect(status[(await ended).code]).toBe('CANCELLED');
  });
});
