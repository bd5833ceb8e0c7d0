import type * as pb from '../../gen/actiongate/v1/action.js';
import type { ProtoWriter } from './ProtoWriter.js';

// Field numbers and order follow proto/actiongate/v1/action.proto and
// google/protobuf/{struct,timestamp}.proto, and each field is skipped exactly
// when the generated encoder skips it, so the bytes are the same
// (test/unit/wireEncoding.test.ts compares them). A field added to these
// messages in a .proto must be added here too: that test fails until it is.

/** google.protobuf.Timestamp, as the generated code derives it from a Date. */
export function writeTimestamp(w: ProtoWriter, field: number, date: Date | undefined): void {
  if (date === undefined) return;
  const ms = date.getTime();
  const at = w.open(field);
  w.int64(1, Math.trunc(ms / 1000));
  w.int32(2, (ms % 1000) * 1_000_000);
  w.close(at);
}

/** google.protobuf.Struct from a JSON object. */
export function writeStruct(w: ProtoWriter, field: number, object: { readonly [key: string]: unknown }): void {
  const at = w.open(field);
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value === undefined) continue;
    const entry = w.open(1);
    w.string(1, key);
    writeValue(w, 2, value);
    w.close(entry);
  }
  w.close(at);
}

/** google.protobuf.Value: its oneof member is written even when it holds a zero value. */
function writeValue(w: ProtoWriter, field: number, value: unknown): void {
  const at = w.open(field);
  if (value === null) {
    w.int32Always(1, 0);
  } else if (typeof value === 'number') {
    w.doubleAlways(2, value);
  } else if (typeof value === 'string') {
    w.stringAlways(3, value);
  } else if (typeof value === 'boolean') {
    w.boolAlways(4, value);
  } else if (Array.isArray(value)) {
    const list = w.open(6);
    for (const item of value) writeValue(w, 1, item);
    w.close(list);
  } else if (typeof value === 'object') {
    writeStruct(w, 5, value as { readonly [key: string]: unknown });
  } else if (value !== undefined) {
    throw new Error(`a ${typeof value} cannot be a google.protobuf.Value`);
  }
  w.close(at);
}

export function writeHistoryEvent(w: ProtoWriter, field: number, event: pb.HistoryEvent): void {
  const at = w.open(field);
  w.uint64String(1, event.sequence);
  w.string(2, event.actionId);
  w.int32(3, event.from);
  w.int32(4, event.to);
  w.string(5, event.actor);
  w.string(6, event.reason);
  writeTimestamp(w, 7, event.at);
  w.uint32(8, event.attempt);
  w.string(9, event.actionType);
  w.string(10, event.node);
  w.string(11, event.service);
  w.close(at);
}

function writeDecision(w: ProtoWriter, field: number, decision: pb.Decision): void {
  const at = w.open(field);
  w.int32(1, decision.kind);
  w.string(2, decision.actor);
  w.string(3, decision.reason);
  writeTimestamp(w, 4, decision.at);
  w.close(at);
}

function writeLease(w: ProtoWriter, field: number, lease: pb.Lease): void {
  const at = w.open(field);
  w.string(1, lease.leaseId);
  w.string(2, lease.executorId);
  writeTimestamp(w, 3, lease.leaseExpiresAt);
  w.uint32(4, lease.attempt);
  w.close(at);
}

export function writeAction(w: ProtoWriter, field: number, action: pb.Action | undefined): void {
  if (action === undefined) return;
  const at = w.open(field);
  w.string(1, action.actionId);
  writeTimestamp(w, 2, action.createdAt);
  w.string(3, action.proposedBy);
  w.string(4, action.correlationId);
  w.string(5, action.node);
  w.string(6, action.service);
  w.string(7, action.actionType);
  w.int32(8, action.riskLevel);
  w.double(9, action.confidence);
  w.bool(10, action.approvalRequired);
  w.bool(11, action.autonomousEligible);
  w.int32(12, action.status);
  if (action.payload !== undefined) writeStruct(w, 13, action.payload);
  w.string(14, action.rollbackReference);
  writeTimestamp(w, 15, action.updatedAt);
  for (const decision of action.decisions) writeDecision(w, 16, decision);
  if (action.lease !== undefined) writeLease(w, 17, action.lease);
  w.uint32(18, action.attempt);
  w.uint32(19, action.maxAttempts);
  if (action.result !== undefined) writeStruct(w, 20, action.result);
  w.string(21, action.error);
  for (const event of action.history) writeHistoryEvent(w, 22, event);
  w.string(23, action.idempotencyKey);
  writeTimestamp(w, 24, action.expiresAt);
  w.int32(25, action.controlState);
  w.bool(26, action.pausedByHalt);
  w.close(at);
}
