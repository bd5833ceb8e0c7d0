import type { Action, ActionWithHistory } from '../domain/action.js';
import type { ActionControlMove } from '../domain/control.js';
import type { Acknowledgement, ControlSignal, HaltState } from '../domain/controlSignal.js';

/** What a (re)subscribing executor is told before live signals. */
export interface ControlSnapshot {
  readonly halt: HaltState;
  /**
   * Actions leased to the executor that are RUNNING, or TERMINATED with a terminate it has
   * not acknowledged. Each one's controlSequence is that of the signal that set its control
   * state when that signal went to this executor (or to every executor), else 0: a signal
   * sent to a previous lease holder is not this executor's to acknowledge.
   */
  readonly actions: readonly Action[];
  /** The last control sequence committed when the snapshot was read; live signals start after it. */
  readonly highWater: number;
}

export interface AckOutcome {
  /** How many acknowledgements were new. */
  readonly recorded: number;
  readonly refused: readonly { readonly sequence: number; readonly reason: string }[];
}

export type SignalListener = (signals: readonly ControlSignal[]) => void;

/** The control half of the storage port; signals are durable before any method resolves. */
export interface ControlStore {
  /** Pause, resume or terminate one action, with the signal it issues. */
  control(actionId: string, move: ActionControlMove, issuedBy: string, reason: string): Promise<{ action: ActionWithHistory; signal: ControlSignal }>;
  /** Returns the running actions the halt paused or terminated. */
  halt(issuedBy: string, reason: string, terminateRunning: boolean): Promise<{ halt: HaltState; affected: string[] }>;
  /** Returns the actions the halt had paused and the unhalt resumed. */
  unhalt(issuedBy: string, reason: string): Promise<{ halt: HaltState; resumed: string[] }>;
  haltState(): Promise<HaltState>;
  snapshot(executorId: string): Promise<ControlSnapshot>;
  /**
   * Records that `executorId` applied these signals. A sequence it may not acknowledge (unknown,
   * or sent to another executor) is refused alone; the others are still recorded.
   */
  acknowledge(executorId: string, sequences: readonly number[]): Promise<AckOutcome>;
  signalsFor(actionId: string): Promise<ControlSignal[]>;
  acknowledgements(sequences: readonly number[]): Promise<Acknowledgement[]>;
  /** Called with each batch of committed signals, in sequence order. */
  onSignals(listener: SignalListener): () => void;
}
