import type * as pb from '../../gen/actiongate/v1/action.js';
import type * as svc from '../../gen/actiongate/v1/action_service.js';
import { writeAction, writeHistoryEvent, writeTimestamp } from './actionEncoding.js';
import { ProtoWriter } from './ProtoWriter.js';

// Serializers are called one at a time on the event loop, so one scratch buffer serves them all.
const writer = new ProtoWriter();

/** One reply, written from the start of the scratch buffer and copied out. */
function encoded(write: (w: ProtoWriter) => void): Buffer {
  const w = writer.begin();
  write(w);
  return w.finish();
}

/** The encoder for replies that carry nothing but `Action action = 1`. */
export function encodeActionReply(reply: { action?: pb.Action | undefined }): Buffer {
  return encoded((w) => writeAction(w, 1, reply.action));
}

export function encodeProposeResponse(reply: svc.ProposeResponse): Buffer {
  return encoded((w) => {
    writeAction(w, 1, reply.action);
    w.bool(2, reply.replayed);
  });
}

export function encodeFailResponse(reply: svc.FailResponse): Buffer {
  return encoded((w) => {
    writeAction(w, 1, reply.action);
    w.bool(2, reply.willRetry);
  });
}

export function encodeExecuteResponse(reply: svc.ExecuteResponse): Buffer {
  return encoded((w) => {
    writeAction(w, 1, reply.action);
    w.string(2, reply.leaseId);
    writeTimestamp(w, 3, reply.leaseExpiresAt);
    w.uint32(4, reply.attempt);
  });
}

export function encodeHeartbeatResponse(reply: svc.HeartbeatResponse): Buffer {
  return encoded((w) => {
    writeTimestamp(w, 1, reply.leaseExpiresAt);
    w.int32(2, reply.controlState);
    writeAction(w, 3, reply.action);
    w.bool(4, reply.halted);
    w.bool(5, reply.haltTerminatesRunning);
    w.uint64String(6, reply.controlSequence);
  });
}

export function encodeListActionsResponse(reply: svc.ListActionsResponse): Buffer {
  return encoded((w) => {
    for (const action of reply.actions) writeAction(w, 1, action);
    w.string(2, reply.nextPageToken);
  });
}

export function encodeWatchActionsResponse(reply: svc.WatchActionsResponse): Buffer {
  return encoded((w) => {
    if (reply.event !== undefined) writeHistoryEvent(w, 1, reply.event);
  });
}
