import { describe, expect, it } from 'vitest';
import * as pb from '../../src/gen/actiongate/v1/action.js';
import * as svc from '../../src/gen/actiongate/v1/action_service.js';
import * as replies from '../../src/server/wire/actionReplies.js';
import { ProtoWriter } from '../../src/server/wire/ProtoWriter.js';

// The hand-written reply encoders must produce exactly the bytes of the generated
// ones, for every shape of action: compared byte for byte, not just decoded.

const generated = (bytes: Uint8Array): Buffer => Buffer.from(bytes);

/** A small deterministic PRNG (mulberry32), so a failure names a reproducible seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const SAMPLE_TEXT = ['', 'a', 'checkout-api', 'nœud-ünïcode', '部署', '🚀 emoji', 'lone \ud800 surrogate', 'x'.repeat(127), 'y'.repeat(300), 'z'.repeat(20_000)];
const SAMPLE_NUMBERS = [0, -0, 1, -1, 0.92, 1e21, -123456.789, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Infinity, -Infinity];
const SAMPLE_MS = [0, 1, 999, 1_000, 1_763_900_000_123, 4_102_444_800_000, -1, -1_500, -86_400_001];

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)]!;
}

function json(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 4 : 6));
  switch (kind) {
    case 0: return null;
    case 1: return pick(next, SAMPLE_NUMBERS);
    case 2: return pick(next, SAMPLE_TEXT);
    case 3: return next() < 0.5;
    case 4: return Array.from({ length: Math.floor(next() * 4) }, () => json(next, depth + 1));
    default: return object(next, depth + 1);
  }
}

function object(next: () => number, depth: number): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const count = Math.floor(next() * 5);
  for (let i = 0; i < count; i++) fields[pick(next, ['', 'probe', 'path', 'ключ', `k${i}`, 'x'.repeat(200)])] = json(next, depth);
  return fields;
}

const maybe = <T>(next: () => number, value: () => T): T | undefined => (next() < 0.3 ? undefined : value());
const date = (next: () => number): Date => new Date(pick(next, SAMPLE_MS));
const enumValue = (next: () => number, max: number): number => pick(next, [0, 1, max, 7, 1_000, -1]);

function historyEvent(next: () => number): pb.HistoryEvent {
  return {
    sequence: pick(next, ['0', '1', '4294967296', '9007199254740993', '18446744073709551615']),
    actionId: pick(next, SAMPLE_TEXT),
    from: enumValue(next, 8),
    to: enumValue(next, 8),
    actor: pick(next, SAMPLE_TEXT),
    reason: pick(next, SAMPLE_TEXT),
    at: maybe(next, () => date(next)),
    attempt: pick(next, [0, 1, 3, 2 ** 31, 2 ** 32 - 1]),
    actionType: pick(next, SAMPLE_TEXT),
    node: pick(next, SAMPLE_TEXT),
    service: pick(next, SAMPLE_TEXT),
  };
}

function decision(next: () => number): pb.Decision {
  return { kind: enumValue(next, 2), actor: pick(next, SAMPLE_TEXT), reason: pick(next, SAMPLE_TEXT), at: maybe(next, () => date(next)) };
}

function lease(next: () => number): pb.Lease {
  return { leaseId: pick(next, SAMPLE_TEXT), executorId: pick(next, SAMPLE_TEXT), leaseExpiresAt: maybe(next, () => date(next)), attempt: pick(next, [0, 2]) };
}

function executeReply(next: () => number, a: pb.Action): svc.ExecuteResponse {
  return { action: maybe(next, () => a), leaseId: pick(next, SAMPLE_TEXT), leaseExpiresAt: maybe(next, () => date(next)), attempt: pick(next, [0, 2]) };
}

function heartbeatReply(next: () => number, a: pb.Action): svc.HeartbeatResponse {
  return {
    leaseExpiresAt: maybe(next, () => date(next)), controlState: enumValue(next, 3), action: maybe(next, () => a), halted: next() < 0.5,
    haltTerminatesRunning: next() < 0.5, controlSequence: pick(next, ['0', '17', '9007199254740993']),
  };
}

function action(next: () => number): pb.Action {
  return {
    actionId: pick(next, SAMPLE_TEXT),
    createdAt: maybe(next, () => date(next)),
    proposedBy: pick(next, SAMPLE_TEXT),
    correlationId: pick(next, SAMPLE_TEXT),
    node: pick(next, SAMPLE_TEXT),
    service: pick(next, SAMPLE_TEXT),
    actionType: pick(next, SAMPLE_TEXT),
    riskLevel: enumValue(next, 3),
    confidence: pick(next, SAMPLE_NUMBERS),
    approvalRequired: next() < 0.5,
    autonomousEligible: next() < 0.5,
    status: enumValue(next, 8),
    payload: maybe(next, () => object(next, 0)),
    rollbackReference: pick(next, SAMPLE_TEXT),
    updatedAt: maybe(next, () => date(next)),
    decisions: Array.from({ length: Math.floor(next() * 3) }, () => decision(next)),
    lease: maybe(next, () => lease(next)),
    attempt: pick(next, [0, 1, 3]),
    maxAttempts: pick(next, [0, 3, 100]),
    result: maybe(next, () => object(next, 0)),
    error: pick(next, SAMPLE_TEXT),
    history: Array.from({ length: Math.floor(next() * 5) }, () => historyEvent(next)),
    idempotencyKey: pick(next, SAMPLE_TEXT),
    expiresAt: maybe(next, () => date(next)),
    controlState: enumValue(next, 3),
    pausedByHalt: next() < 0.5,
  };
}

const EMPTY_ACTION: pb.Action = {
  actionId: '', proposedBy: '', correlationId: '', node: '', service: '', actionType: '', riskLevel: 0, confidence: 0,
  approvalRequired: false, autonomousEligible: false, status: 0, rollbackReference: '', decisions: [], attempt: 0,
  maxAttempts: 0, error: '', history: [], idempotencyKey: '', controlState: 0, pausedByHalt: false,
};

describe('reply encoders', () => {
  it('encode an empty action and an absent one as the generated code does', () => {
    for (const reply of [{ replayed: false }, { action: EMPTY_ACTION, replayed: false }, { action: EMPTY_ACTION, replayed: true }]) {
      expect(replies.encodeProposeResponse(reply)).toEqual(generated(svc.ProposeResponse.encode(reply).finish()));
    }
  });

  it('encode 2,000 random actions, every reply type, byte for byte as the generated code does', () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const next = random(seed);
      const a = action(next);
      const flag = next() < 0.5;
      const pairs: [Buffer, Uint8Array][] = [
        [replies.encodeProposeResponse({ action: a, replayed: flag }), svc.ProposeResponse.encode({ action: a, replayed: flag }).finish()],
        [replies.encodeActionReply({ action: a }), svc.ApproveResponse.encode({ action: a }).finish()],
        [replies.encodeFailResponse({ action: a, willRetry: flag }), svc.FailResponse.encode({ action: a, willRetry: flag }).finish()],
      ];
      const execute = executeReply(next, a);
      pairs.push([replies.encodeExecuteResponse(execute), svc.ExecuteResponse.encode(execute).finish()]);
      const heartbeat = heartbeatReply(next, a);
      pairs.push([replies.encodeHeartbeatResponse(heartbeat), svc.HeartbeatResponse.encode(heartbeat).finish()]);
      const list: svc.ListActionsResponse = { actions: [a, action(next)].slice(0, Math.floor(next() * 3)), nextPageToken: pick(next, SAMPLE_TEXT) };
      pairs.push([replies.encodeListActionsResponse(list), svc.ListActionsResponse.encode(list).finish()]);
      const watch: svc.WatchActionsResponse = { event: maybe(next, () => historyEvent(next)) };
      pairs.push([replies.encodeWatchActionsResponse(watch), svc.WatchActionsResponse.encode(watch).finish()]);
      for (const [mine, theirs] of pairs) {
        if (!mine.equals(generated(theirs))) throw new Error(`seed ${seed}: bytes differ\nmine   ${mine.toString('hex')}\ntheirs ${generated(theirs).toString('hex')}`);
      }
    }
  });

  it('are tested with every field the protos define', () => {
    // A field added to a proto must be added to src/server/wire and to these generators: until then this fails.
    const next = random(1);
    const a = action(next);
    const shapes: [string, object, object][] = [
      ['Action', pb.Action.fromPartial({}), a],
      ['HistoryEvent', pb.HistoryEvent.fromPartial({}), historyEvent(next)],
      ['Decision', pb.Decision.fromPartial({}), decision(next)],
      ['Lease', pb.Lease.fromPartial({}), lease(next)],
      ['ProposeResponse', svc.ProposeResponse.fromPartial({}), { action: a, replayed: false }],
      ['ApproveResponse', svc.ApproveResponse.fromPartial({}), { action: a }],
      ['RejectResponse', svc.RejectResponse.fromPartial({}), { action: a }],
      ['CompleteResponse', svc.CompleteResponse.fromPartial({}), { action: a }],
      ['GetActionResponse', svc.GetActionResponse.fromPartial({}), { action: a }],
      ['FailResponse', svc.FailResponse.fromPartial({}), { action: a, willRetry: false }],
      ['ExecuteResponse', svc.ExecuteResponse.fromPartial({}), executeReply(next, a)],
      ['HeartbeatResponse', svc.HeartbeatResponse.fromPartial({}), heartbeatReply(next, a)],
      ['ListActionsResponse', svc.ListActionsResponse.fromPartial({}), { actions: [a], nextPageToken: '' }],
      ['WatchActionsResponse', svc.WatchActionsResponse.fromPartial({}), { event: undefined }],
    ];
    for (const [name, generatedShape, tested] of shapes) {
      expect(Object.keys(tested).sort(), name).toEqual(Object.keys(generatedShape).sort());
    }
  });

  it('decode back to what was encoded', () => {
    const a = action(random(7));
    expect(svc.GetActionResponse.decode(replies.encodeActionReply({ action: a }))).toEqual(svc.GetActionResponse.decode(svc.GetActionResponse.encode({ action: a }).finish()));
  });

  it('return a copy, so the next reply cannot overwrite one still being sent', () => {
    const first = replies.encodeActionReply({ action: { ...EMPTY_ACTION, node: 'first' } });
    const copy = Buffer.from(first);
    replies.encodeActionReply({ action: { ...EMPTY_ACTION, node: 'second' } });
    expect(first).toEqual(copy);
  });

  it('refuse numbers out of a field\'s range where the generated code refuses them, and agree on the odd ones it takes', () => {
    const event = historyEvent(random(3));
    const replyWith = (change: Partial<pb.Action>, eventChange: Partial<pb.HistoryEvent> = {}) =>
      ({ action: { ...EMPTY_ACTION, ...change, history: [{ ...event, ...eventChange }] } });
    const refused = [
      replyWith({ attempt: -1 }), replyWith({ attempt: 2 ** 32 }), replyWith({ attempt: Number.NaN }), replyWith({ attempt: 1.5 }),
      replyWith({ status: 2 ** 31 }), replyWith({ status: -(2 ** 31) - 1 }), replyWith({ status: 1.5 as pb.ActionStatus }),
      replyWith({}, { sequence: '-1' }), replyWith({}, { sequence: '18446744073709551616' }), replyWith({}, { sequence: '1e3' }), replyWith({}, { sequence: 'abc' }),
    ];
    for (const reply of refused) {
      expect(() => svc.GetActionResponse.encode(reply).finish(), JSON.stringify(reply.action.history[0]?.sequence)).toThrow();
      expect(() => replies.encodeActionReply(reply)).toThrow(RangeError);
    }
    const taken = [
      replyWith({}, { sequence: '' }), replyWith({}, { sequence: '00' }), replyWith({}, { sequence: '18446744073709551615' }),
      replyWith({ status: -(2 ** 31) }), replyWith({ status: 2 ** 31 - 1 }), replyWith({ attempt: 2 ** 32 - 1 }),
    ];
    for (const reply of taken) {
      expect(replies.encodeActionReply(reply)).toEqual(generated(svc.GetActionResponse.encode(reply).finish()));
    }
  });

  it('refuse a payload value that JSON cannot hold, as the generated code does', () => {
    const bad = { action: { ...EMPTY_ACTION, payload: { f: () => 1 } } };
    expect(() => svc.GetActionResponse.encode(bad).finish()).toThrow();
    expect(() => replies.encodeActionReply(bad)).toThrow(/function cannot be a google.protobuf.Value/);
    // A refused reply leaves nothing behind for the next one.
    const ok = { action: { ...EMPTY_ACTION, node: 'n' } };
    expect(replies.encodeActionReply(ok)).toEqual(generated(svc.GetActionResponse.encode(ok).finish()));
  });
});

describe('ProtoWriter', () => {
  it('grows for a large message and gives the memory back on the next one', () => {
    const writer = new ProtoWriter(64, 1024);
    const big = 'x'.repeat(10_000);
    writer.begin().string(1, big);
    const bytes = writer.finish();
    expect(bytes.length).toBe(3 + big.length);
    expect(writer.capacity).toBeGreaterThan(1024);
    writer.begin().string(1, 'small');
    expect(writer.capacity).toBe(64);
    expect(writer.finish()).toEqual(Buffer.from([0x0a, 5, ...Buffer.from('small')]));
  });

  it('moves a nested message over when its length needs more than one byte', () => {
    const writer = new ProtoWriter(16);
    const outer = writer.begin().open(2);
    writer.string(1, 'y'.repeat(200));
    writer.close(outer);
    // field 2 (0x12), length 203 as a two-byte varint, then field 1 (0x0a), length 200, the text.
    expect(writer.finish()).toEqual(Buffer.concat([Buffer.from([0x12, 0xcb, 0x01, 0x0a, 0xc8, 0x01]), Buffer.from('y'.repeat(200))]));
  });
});
