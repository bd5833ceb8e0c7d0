import type { Acknowledgement, ControlSignal, HaltState, SignalKind } from '../domain/controlSignal.js';
import * as pb from '../gen/actiongate/v1/control_service.js';

const SIGNAL_TO_PROTO: Record<SignalKind, pb.Signal> = {
  PAUSE: pb.Signal.SIGNAL_PAUSE,
  RESUME: pb.Signal.SIGNAL_RESUME,
  TERMINATE: pb.Signal.SIGNAL_TERMINATE,
  HALT: pb.Signal.SIGNAL_HALT,
  UNHALT: pb.Signal.SIGNAL_UNHALT,
  SNAPSHOT_COMPLETE: pb.Signal.SIGNAL_SNAPSHOT_COMPLETE,
};

export function signalToProto(signal: ControlSignal, snapshot = false): pb.ControlSignal {
  return {
    sequence: String(signal.sequence),
    actionId: signal.actionId ?? '',
    signal: SIGNAL_TO_PROTO[signal.signal],
    reason: signal.reason,
    issuedBy: signal.issuedBy,
    issuedAt: new Date(signal.issuedAt),
    snapshot,
    terminateRunning: signal.terminateRunning,
  };
}

const liveBytes = new WeakMap<ControlSignal, Buffer>();

/**
 * A live signal as the bytes of its SubscribeResponse. The hub hands the same
 * signal object to every stream it goes to, so a HALT to a thousand executors
 * is encoded once, not a thousand times.
 */
export function liveSignalBytes(signal: ControlSignal): Buffer {
  let bytes = liveBytes.get(signal);
  if (bytes === undefined) {
    bytes = Buffer.from(pb.SubscribeResponse.encode({ signal: signalToProto(signal) }).finish());
    liveBytes.set(signal, bytes);
  }
  return bytes;
}

export function acknowledgementToProto(ack: Acknowledgement): pb.Acknowledgement {
  return {
    executorId: ack.executorId,
    sequence: String(ack.sequence),
    signal: SIGNAL_TO_PROTO[ack.signal],
    acknowledgedAt: new Date(ack.acknowledgedAt),
  };
}

export function haltToProto(halt: HaltState, acknowledgements: readonly Acknowledgement[] = []): pb.HaltState {
  return {
    halted: halt.halted,
    signal: halt.signal === null ? undefined : signalToProto(halt.signal),
    acknowledgements: acknowledgements.map(acknowledgementToProto),
  };
}
