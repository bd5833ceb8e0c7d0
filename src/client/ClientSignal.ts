import { Signal, type ControlSignal } from '../gen/actiongate/v1/control_service.js';

export type SignalKind = 'PAUSE' | 'RESUME' | 'TERMINATE' | 'HALT' | 'UNHALT' | 'SNAPSHOT_COMPLETE';

/** A control signal as the SDK hands it to user code. */
export interface ClientSignal {
  readonly sequence: number;
  /** '' for HALT, UNHALT and SNAPSHOT_COMPLETE. */
  readonly actionId: string;
  readonly kind: SignalKind;
  readonly reason: string;
  readonly issuedBy: string;
  readonly issuedAt: Date | undefined;
  readonly snapshot: boolean;
  readonly terminateRunning: boolean;
}

const KINDS: Partial<Record<Signal, SignalKind>> = {
  [Signal.SIGNAL_PAUSE]: 'PAUSE',
  [Signal.SIGNAL_RESUME]: 'RESUME',
  [Signal.SIGNAL_TERMINATE]: 'TERMINATE',
  [Signal.SIGNAL_HALT]: 'HALT',
  [Signal.SIGNAL_UNHALT]: 'UNHALT',
  [Signal.SIGNAL_SNAPSHOT_COMPLETE]: 'SNAPSHOT_COMPLETE',
};

/** null for a signal kind this SDK does not know (a newer server): it is ignored, not guessed at. */
export function clientSignalFromProto(signal: ControlSignal): ClientSignal | null {
  const kind = KINDS[signal.signal];
  if (kind === undefined) return null;
  return {
    sequence: Number(signal.sequence),
    actionId: signal.actionId,
    kind,
    reason: signal.reason,
    issuedBy: signal.issuedBy,
    issuedAt: signal.issuedAt,
    snapshot: signal.snapshot,
    terminateRunning: signal.terminateRunning,
  };
}
