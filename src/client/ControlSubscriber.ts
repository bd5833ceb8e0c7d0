import { status, type ServiceError } from '@grpc/grpc-js';
import { BehaviorSubject, combineLatest, distinctUntilChanged, map, of, startWith, Subject, switchMap, timer, type Observable } from 'rxjs';
import { ActionGuard } from './ActionGuard.js';
import { sleep } from '../shared/abortableWait.js';
import { waitForValue } from '../shared/waitForValue.js';
import { backoffDelay, DEFAULT_BACKOFF, RETRYABLE_STATUSES, type BackoffPolicy } from './backoff.js';
import { clientSignalFromProto, type ClientSignal } from './ClientSignal.js';
import type { ControlClient, SubscribeResponse } from './ControlClient.js';
import { LocalControlState, type RunState } from './LocalControlState.js';

/** Acks of HALT and UNHALT wait 50 ms plus up to 450 ms of jitter; per-action acks go at once. */
const FLEET_ACK_MIN_DELAY_MS = 50;
const FLEET_ACK_SPREAD_MS = 450;
/** On stop, how long acks still owed or in flight may take before the channel is given up. */
const FINAL_ACK_TIMEOUT_MS = 2000;

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'backoff' | 'stopped' | 'failed';

export interface ControlSubscriberOptions {
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** Acknowledge applied signals with ControlService.Ack (default true). */
  readonly acknowledge?: boolean;
  readonly onError?: (err: unknown) => void;
  /**
   * How long the stream may be down before the guards of running actions
   * report DISCONNECTED and hold their work at its next checkpoint. Unset,
   * a bare `guard()` never holds for it, and a ClaimedAction uses one
   * heartbeat interval (a third of its lease).
   */
  readonly disconnectGraceMs?: number;
}

export interface GuardOptions {
  /** Overrides the subscriber's `disconnectGraceMs` for this guard. */
  readonly disconnectGraceMs?: number;
}

/**
 * Keeps one executor's control stream up: subscribes, applies the snapshot and
 * live signals to `state`, acknowledges them, and reconnects forever with
 * capped exponential backoff and jitter (reset once a connection is live).
 * Only a status no reconnect can fix (a bad executor id, say) stops it, in state 'failed'.
 */
export class ControlSubscriber {
  readonly state = new LocalControlState();
  readonly connection$ = new BehaviorSubject<ConnectionState>('idle');
  private readonly signalSubject = new Subject<ClientSignal>();
  readonly signals$: Observable<ClientSignal> = this.signalSubject.asObservable();
  /** Reconnects since the last live connection; the next backoff delay grows with it. */
  attempt = 0;
  /** How the last stream broke; once the state is 'failed', the refusal no reconnect can fix. */
  lastError: { readonly code: status; readonly details: string } | null = null;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private cancelStream: (() => void) | undefined;
  private pendingAcks = new Set<string>();
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly acksInFlight = new Set<Promise<unknown>>();
  /** performance.now() when the stream stopped being live (or this subscriber was made); null while live. */
  private readonly downSince$ = new BehaviorSubject<number | null>(performance.now());

  constructor(
    private readonly client: ControlClient,
    readonly executorId: string,
    private readonly options: ControlSubscriberOptions = {},
  ) {
    // A monotonic clock: a wall-clock step must neither lift nor hasten a hold.
    this.connection$.subscribe((state) => {
      const live = state === 'live';
      if (live && this.downSince$.value !== null) this.downSince$.next(null);
      else if (!live && this.downSince$.value === null) this.downSince$.next(performance.now());
    });
  }

  get disconnectGraceMs(): number | undefined {
    return this.options.disconnectGraceMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the stream; acks of signals already applied are still sent (for up to 2 s), so operators see them. */
  async stop(): Promise<void> {
    this.stopController.abort(new Error('control subscriber stopped'));
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.sendAcks();
    this.cancelStream?.();
    await this.loop;
    if (this.acksInFlight.size > 0) {
      const giveUp = new AbortController();
      await Promise.race([Promise.allSettled(this.acksInFlight), sleep(FINAL_ACK_TIMEOUT_MS, giveUp.signal).catch(() => {})]);
      giveUp.abort();
    }
    this.connection$.next('stopped');
  }

  /** Resolves once a snapshot has been applied and the stream is live. */
  async waitUntilLive(options: { signal?: AbortSignal } = {}): Promise<void> {
    const state = await waitForValue(this.connection$, (s) => s === 'live' || s === 'failed' || s === 'stopped', options.signal);
    if (state !== 'live') throw new Error(`control subscriber is ${state}`);
  }

  /**
   * true once the stream has not been live for `graceMs` in a row, false again
   * as soon as it is live, which it is only after its snapshot was applied.
   * Replays the current value on subscribe.
   */
  lostFor$(graceMs: number): Observable<boolean> {
    return this.downSince$.pipe(
      switchMap((since) => {
        if (since === null) return of(false);
        const left = since + graceMs - performance.now();
        return left <= 0 ? of(true) : timer(left).pipe(map(() => true), startWith(false));
      }),
      distinctUntilChanged(),
    );
  }

  /** A guard for an action this executor holds; with a disconnect grace it also holds the work while the stream is lost. */
  guard(actionId: string, options: GuardOptions = {}): ActionGuard {
    const graceMs = options.disconnectGraceMs ?? this.options.disconnectGraceMs;
    const run$ = this.state.runState$(actionId);
    const state$ = graceMs === undefined
      ? run$
      : combineLatest([run$, this.lostFor$(graceMs)]).pipe(
        map(([run, lost]): RunState => (lost && run !== 'TERMINATED' ? 'DISCONNECTED' : run)),
        distinctUntilChanged(),
      );
    return new ActionGuard(actionId, state$, () => this.state.hold$(actionId).value.reason || this.state.halt$.value.reason);
  }

  private async run(): Promise<void> {
    const stop = this.stopController.signal;
    while (!stop.aborted) {
      this.connection$.next('connecting');
      const code = await this.connectOnce();
      if (stop.aborted) return;
      if (!RETRYABLE_STATUSES.has(code)) {
        this.connection$.next('failed');
        return;
      }
      this.connection$.next('backoff');
      try {
        await sleep(backoffDelay(this.attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random), stop);
      } catch {
        return;
      }
      this.attempt += 1;
    }
  }

  /** One stream, from subscribe to its end; resolves with the status it ended with. */
  private connectOnce(): Promise<status> {
    return new Promise((resolve) => {
      const stream = this.client.subscribe(this.executorId);
      let ended = false;
      const end = (code: status): void => {
        if (ended) return;
        ended = true;
        this.cancelStream = undefined;
        resolve(code);
      };
      this.cancelStream = () => stream.cancel();
      stream.on('data', (message: SubscribeResponse) => {
        const signal = message.signal === undefined ? null : clientSignalFromProto(message.signal);
        if (signal === null) return;
        if (signal.kind === 'SNAPSHOT_COMPLETE') {
          this.attempt = 0;
          this.connection$.next('live');
        } else {
          this.state.apply(signal);
          if (signal.sequence > 0) this.acknowledge(String(signal.sequence), signal.actionId === '');
        }
        this.signalSubject.next(signal);
      });
      stream.on('error', (err: ServiceError) => {
        this.lastError = { code: err.code ?? status.UNKNOWN, details: err.details ?? err.message };
        end(err.code ?? status.UNKNOWN);
      });
      stream.on('end', () => end(status.OK));
    });
  }

  /**
   * Acks go out in batches. A fleet-wide signal (HALT, UNHALT) reaches every
   * executor at once; their acks are spread over a jittered delay so they do
   * not arrive as one burst in front of the operator's next call.
   */
  private acknowledge(sequence: string, fleetWide: boolean): void {
    if (this.options.acknowledge === false) return;
    this.pendingAcks.add(sequence);
    if (this.ackTimer !== undefined && !fleetWide) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    if (this.ackTimer !== undefined) return;
    const delay = fleetWide ? FLEET_ACK_MIN_DELAY_MS + (this.options.random ?? Math.random)() * FLEET_ACK_SPREAD_MS : 0;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.sendAcks();
    }, delay);
  }

  private sendAcks(): void {
    if (this.pendingAcks.size === 0) return;
    const sequences = [...this.pendingAcks];
    this.pendingAcks = new Set();
    const sent = this.client.ack(this.executorId, sequences, { timeoutMs: FINAL_ACK_TIMEOUT_MS * 5 }).catch((err: unknown) => this.options.onError?.(err));
    this.acksInFlight.add(sent);
    void sent.finally(() => this.acksInFlight.delete(sent));
  }
}
