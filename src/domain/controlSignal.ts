/** What the control channel says. SNAPSHOT_COMPLETE is the marker that ends a snapshot. */
export type SignalKind = 'PAUSE' | 'RESUME' | 'TERMINATE' | 'HALT' | 'UNHALT' | 'SNAPSHOT_COMPLETE';

export interface ControlSignal {
  readonly sequence: number;
  /** null for HALT, UNHALT and SNAPSHOT_COMPLETE. */
  readonly actionId: string | null;
  /** The executor the signal is meant for; null for global signals and for actions nobody holds. */
  readonly executorId: string | null;
  readonly signal: SignalKind;
  readonly reason: string;
  readonly issuedBy: string;
  readonly issuedAt: number;
  readonly terminateRunning: boolean;
}

export interface HaltState {
  readonly halted: boolean;
  readonly terminateRunning: boolean;
  /** The HALT or UNHALT that set this state, or null when there never was one. */
  readonly signal: ControlSignal | null;
}

export const NOT_HALTED: HaltState = { halted: false, terminateRunning: false, signal: null };

export interface Acknowledgement {
  readonly executorId: string;
  readonly sequence: number;
  readonly signal: SignalKind;
  readonly acknowledgedAt: number;
}
