import type * as pb from '../../gen/actiongate/v1/action.js';
import type * as svc from '../../gen/actiongate/v1/action_service.js';
import { writeAction, writeHistoryEvent, writeTimestamp } from './actionEncoding.js';
import { ProtoWriter } from './ProtoWriter.js';

// Serializers are called one at a time on the event loop, so one scratch buffer serves them all.
const writer = new ProtoWriter();

/** The encoder for replies that carry nothing but `Action action = 1`. */
export function encodeActionReply(reply: { action?: pb.Action | undefined }): Buffer {
  const w = writer.begin();
  writeAction(w, 1, reply.action);
  return w.finish();
}

export function encodeProposeResponse(reply: svc.ProposeResponse): Buffer {
  const w = writer.begin();
  writeAction(w, 1, reply.action);
  w.bool(2, reply.replayed);
  return w.finish();
}

export function encodeExecuteResponse(reply: svc.ExecuteResponse): Buffer {
  const w = writer.begin();
  writeAction(w, 1, reply.action);
  w.string(2, reply.leaseId);
  writeTimestamp(w, 3, reply.leaseExpiresAt);
  w.uint32(4, reply.attempt);
  return w.finish();
}

export function encodeHeartbeatResponse(reply: svc.HeartbeatResponse): Buffer {
  const w = writer.begin();
  writeTimestamp(w, 1, reply.leaseExpiresAt);
  w.int32(2, reply.controlState);
  writeAction(w, 3, reply.action);
  w.bool(4, reply.halted);
  w.bool(5, reply.haltTerminatesRunning);
  w.uint64String(6, reply.controlSequence);
  return w.finish();
}

export function encodeFailResponse(reply: svc.FailResponse): Buffer {
  const w = writer.begin();
  writeAction(w, 1, reply.action);
  w.bool(2, reply.willRetry);
  return w.finish();
}

export function encodeListActionsResponse(reply: svc.ListActionsResponse): Buffer {
  const w = writer.begin();
  for (const action of reply.actions) writeAction(w, 1, action);
  w.string(2, reply.nextPageToken);
  return w.finish();
}

export function encodeWatchActionsResponse(reply: svc.WatchActionsResponse): Buffer {
  const w = writer.begin();
  if (reply.event !== undefined) writeHistoryEvent(w, 1, reply.event);
  return w.finish();
}
