import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Observable } from 'rxjs';
import type { ClientSignal } from './ClientSignal.js';

/**
 * What an action may do now, as far as this executor knows. DISCONNECTED is
 * never set by a signal: an ActionGuard reports it while the control stream
 * has been down for longer than its grace, when a pause or terminate might
 * be on its way unheard; work holds at its checkpoints until the stream is
 * live again and its snapshot has been read.
 */
export type RunState = 'RUNNING' | 'PAUSED' | 'DISCONNECTED' | 'TERMINATED';

export interface ActionHold {
  readonly control: 'NONE' | 'PAUSED' | 'TERMINATED';
  /** The sequence of the signal that set `control`; older signals are stale. */
  readonly sequence: number;
  readonly reason: string;
}

export interface HaltHold {
  readonly halted: boolean;
  readonly terminateRunning: boolean;
  readonly sequence: number;
  readonly reason: string;
}

const FREE: ActionHold = { control: 'NONE', sequence: 0, reason: '' };

/**
 * The executor's view of the kill switch, fed by the control stream and by
 * heartbeat replies. TERMINATED is sticky; a signal older than what is known
 * is ignored, so a stale pause never overrides a newer resume.
 */
export class LocalControlState {
  readonly halt$ = new BehaviorSubject<HaltHold>({ halted: false, terminateRunning: false, sequence: 0, reason: '' });
  private readonly holds = new Map<string, BehaviorSubject<ActionHold>>();

  hold$(actionId: string): BehaviorSubject<ActionHold> {
    let subject = this.holds.get(actionId);
    if (subject === undefined) {
      subject = new BehaviorSubject<ActionHold>(FREE);
      this.holds.set(actionId, subject);
    }
    return subject;
  }

  /** The effective state: terminated beats paused, and a halt pauses everything. */
  runState$(actionId: string): Observable<RunState> {
    return combineLatest([this.hold$(actionId), this.halt$]).pipe(
      map(([hold, halt]): RunState => (hold.control === 'TERMINATED' ? 'TERMINATED' : hold.control === 'PAUSED' || halt.halted ? 'PAUSED' : 'RUNNING')),
      distinctUntilChanged(),
    );
  }

  /** Applies one signal; returns whether it changed anything. */
  apply(signal: ClientSignal): boolean {
    switch (signal.kind) {
      case 'HALT':
      case 'UNHALT': {
        const current = this.halt$.value;
        if (signal.sequence < current.sequence || (!signal.snapshot && signal.sequence === current.sequence && current.sequence !== 0)) return false;
        const terminateRunning = signal.kind === 'HALT' && signal.terminateRunning;
        this.halt$.next({ halted: signal.kind === 'HALT', terminateRunning, sequence: signal.sequence, reason: signal.reason });
        if (terminateRunning) this.terminateAll(`halted: ${signal.reason}`);
        return true;
      }
      case 'PAUSE':
      case 'RESUME':
      case 'TERMINATE': {
        const control = signal.kind === 'PAUSE' ? 'PAUSED' : signal.kind === 'RESUME' ? 'NONE' : 'TERMINATED';
        return this.setHold(signal.actionId, { control, sequence: signal.sequence, reason: signal.reason }, signal.snapshot);
      }
      case 'SNAPSHOT_COMPLETE':
        return false;
    }
  }

  /**
   * A heartbeat reply is a fresh read of the action: it may move the action
   * forward, and may raise a halt the stream missed, but never lifts one (an
   * UNHALT comes over the stream or in the next snapshot).
   */
  applyHeartbeat(actionId: string, control: ActionHold['control'], sequence: number, halted: boolean, terminateRunning: boolean): void {
    this.setHold(actionId, { control, sequence, reason: 'reported by heartbeat' }, true);
    const halt = this.halt$.value;
    if (halted && (!halt.halted || (terminateRunning && !halt.terminateRunning))) {
      this.halt$.next({ ...halt, halted: true, terminateRunning, reason: 'reported by heartbeat' });
      if (terminateRunning) this.terminateAll('halted with terminate_running');
    }
  }

  /** A halt that terminates what runs ends every action held here, for good. */
  private terminateAll(reason: string): void {
    for (const actionId of this.holds.keys()) this.revoke(actionId, reason);
  }

  /** The lease is gone (expired, superseded, or the action ended elsewhere): the work must stop. */
  revoke(actionId: string, reason: string): void {
    const subject = this.hold$(actionId);
    if (subject.value.control !== 'TERMINATED') subject.next({ control: 'TERMINATED', sequence: subject.value.sequence, reason });
  }

  /** Drops an action the executor no longer holds; call it after disposing the action's guards. */
  forget(actionId: string): void {
    this.holds.delete(actionId);
  }

  private setHold(actionId: string, next: ActionHold, authoritative: boolean): boolean {
    const subject = this.hold$(actionId);
    const current = subject.value;
    if (current.control === 'TERMINATED') return false;
    // Live signals must be newer; a snapshot or heartbeat is a current read, so equal is fine.
    if (next.sequence < current.sequence || (!authoritative && next.sequence === current.sequence && current.sequence !== 0)) return false;
    if (next.control === current.control && next.sequence === current.sequence) return false;
    subject.next(next);
    return true;
  }
}
