import { status, type ServiceError } from '@grpc/grpc-js';
import type { ExecutorLog } from './ExecutorLog.js';
import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Subscription } from 'rxjs';
import type { ActionClient } from '../client/ActionClient.js';
import { backoffDelay } from '../client/backoff.js';
import { sleep } from '../shared/abortableWait.js';
import { waitForValue } from '../shared/waitForValue.js';
import type { ControlSubscriber } from '../client/ControlSubscriber.js';
import type { Action } from '../gen/actiongate/v1/action.js';
import type { ExecuteResponse } from '../gen/actiongate/v1/action_service.js';
import type { RegisteredHandler } from './buildHandlers.js';
import type { ExecutorConfig } from './loadExecutorConfig.js';
import { claimOnce } from './claimOnce.js';
import { LeaseKeeper } from './LeaseKeeper.js';
import { runAction } from './runAction.js';

/** After a claim refused as FAILED_PRECONDITION (halted before the stream said so), look again after this long. */
const HALT_RECHECK_MS = 1000;
/** Claims refused for a reason no retry fixes: a bad request, or a credential the server does not accept for it. */
const CLAIM_REFUSALS: ReadonlySet<status> = new Set([status.INVALID_ARGUMENT, status.UNAUTHENTICATED, status.PERMISSION_DENIED]);
/** Extra time the client gives an Execute long poll beyond its wait before giving up on it. */
const POLL_DEADLINE_SLACK_MS = 15_000;

export type ExecutorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ExecutorDeps {
  readonly actions: ActionClient;
  /** Not yet started: the executor owns its life. */
  readonly subscriber: ControlSubscriber;
  readonly handlers: ReadonlyMap<string, RegisteredHandler>;
  readonly actionTypes: readonly string[];
  readonly config: ExecutorConfig;
  /** The root logger; the executor adds its executorId, each action its actionId. */
  readonly log: ExecutorLog;
}

/**
 * The reference executor: keeps a control subscriber live, claims approved
 * actions of its types while the kill switch allows (never while halted or
 * while the control stream is down), runs up to `concurrency` of them, and on
 * stop drains them for a grace period before aborting what is left. Each run
 * is a ClaimedAction, so a stream lost for longer than the disconnect grace
 * holds it at its next checkpoint, and a lease lapsed on the local clock stops it.
 */
export class Executor {
  readonly state$ = new BehaviorSubject<ExecutorState>('idle');
  private readonly stopClaiming = new AbortController();
  private readonly abortRunning = new AbortController();
  private readonly running = new Map<number, Promise<void>>();
  private readonly running$ = new BehaviorSubject(0);
  private nextRun = 0;
  private graceMs: number;
  private fatal: Error | null = null;
  private done: Promise<void> | undefined;

  private readonly log: ExecutorLog;

  constructor(private readonly deps: ExecutorDeps) {
    this.graceMs = deps.config.shutdownGraceSeconds * 1000;
    this.log = deps.log.child({ executorId: deps.config.executorId });
  }

  /** Starts, and resolves once stopped and drained; rejects if the executor had to give up. */
  run(): Promise<void> {
    this.done ??= this.lifecycle();
    return this.done;
  }

  /** Stops claiming; running actions get `graceMs` to finish, then are aborted. */
  stop(graceMs = this.graceMs): void {
    this.graceMs = Math.min(this.graceMs, graceMs);
    if (!this.stopClaiming.signal.aborted) this.log.info({ graceMs: this.graceMs, running: this.running.size }, 'stopping: no new claims');
    this.stopClaiming.abort(new Error('executor stopping'));
    if (this.graceMs === 0) this.abortNow();
  }

  /** Aborts every running action at once. */
  abortNow(): void {
    if (!this.abortRunning.signal.aborted) this.log.warn({ running: this.running.size }, 'aborting running actions');
    this.abortRunning.abort(new Error('executor shutting down'));
  }

  private async lifecycle(): Promise<void> {
    const { subscriber, config } = this.deps;
    const log = this.log;
    this.state$.next('starting');
    log.info({
      server: config.server, actionTypes: this.deps.actionTypes, concurrency: config.concurrency, handlers: this.handlerKinds(),
      keepaliveTimeMs: config.keepaliveTimeMs, keepaliveTimeoutMs: config.keepaliveTimeoutMs,
      disconnectGraceMs: config.disconnectGraceMs ?? LeaseKeeper.heartbeatIntervalMs(config.leaseTtlSeconds * 1000),
    }, 'executor starting');
    const watchers = this.watchControl();
    subscriber.start();
    try {
      await subscriber.waitUntilLive({ signal: this.stopClaiming.signal });
      if (!this.stopClaiming.signal.aborted) {
        log.info('executor ready: claiming');
        this.state$.next('running');
        await this.claimLoop();
      }
    } catch (err) {
      if (!this.stopClaiming.signal.aborted) this.giveUp(new Error('the control stream failed', { cause: err }));
    }
    this.state$.next('stopping');
    await this.drain();
    watchers.forEach((w) => w.unsubscribe());
    await subscriber.stop();
    this.state$.next(this.fatal === null ? 'stopped' : 'failed');
    log.info('executor stopped');
    if (this.fatal !== null) throw this.fatal;
  }

  private handlerKinds(): Record<string, string> {
    return Object.fromEntries(this.deps.actionTypes.map((type) => [type, this.deps.handlers.get(type)?.kind ?? 'none']));
  }

  /** Logs what the kill switch says, and gives up when the control stream cannot be kept. */
  private watchControl(): Subscription[] {
    const { subscriber } = this.deps;
    const log = this.log;
    const connection = subscriber.connection$.pipe(distinctUntilChanged()).subscribe((state) => {
      log.info({ connection: state }, 'control stream');
      if (state !== 'failed') return;
      const refused = subscriber.lastError;
      const why = refused === null ? 'a status reconnecting cannot fix' : `${status[refused.code]}: ${refused.details}`;
      this.giveUp(new Error(`the server refused the control stream (${why})`));
    });
    let claimingPaused = false;
    const signals = subscriber.signals$.subscribe((s) => {
      if (s.kind !== 'SNAPSHOT_COMPLETE') log.info({ signal: s.kind, actionId: s.actionId || undefined, sequence: s.sequence, snapshot: s.snapshot, reason: s.reason }, 'control signal');
    });
    const gate = combineLatest([subscriber.state.halt$, subscriber.connection$, this.state$])
      .pipe(
        map(([halt, connection, state]) => (state !== 'running' ? undefined : halt.halted ? 'halted' : connection !== 'live' ? 'control stream not live' : null)),
        distinctUntilChanged(),
      )
      .subscribe((blocked) => {
        if (blocked === undefined) return;
        if (blocked !== null) log.warn({ reason: blocked }, 'claiming paused');
        else if (claimingPaused) log.info('claiming resumed');
        claimingPaused = blocked !== null;
      });
    return [connection, signals, gate];
  }

  private giveUp(err: Error): void {
    if (this.fatal !== null) return;
    this.fatal = err;
    this.log.error({ err }, 'executor giving up');
    this.stop();
  }

  private async claimLoop(): Promise<void> {
    const { actions, subscriber, config } = this.deps;
    const log = this.log;
    const stop = this.stopClaiming.signal;
    const mayClaim$ = combineLatest([this.running$, subscriber.state.halt$, subscriber.connection$]).pipe(
      map(([running, halt, connection]) => running < config.concurrency && !halt.halted && connection === 'live'),
    );
    let failures = 0;
    while (!stop.aborted) {
      try {
        await waitForValue(mayClaim$, (may) => may, stop);
      } catch {
        return;
      }
      let reply: ExecuteResponse;
      try {
        const request = {
          executorId: config.executorId, actionId: '', actionTypes: [...this.deps.actionTypes], nodes: [],
          leaseTtlSeconds: config.leaseTtlSeconds, waitSeconds: config.pollWaitSeconds,
        };
        log.debug({ waitSeconds: config.pollWaitSeconds }, 'claim poll');
        reply = await claimOnce(actions, request, stop, config.pollWaitSeconds * 1000 + POLL_DEADLINE_SLACK_MS);
        failures = 0;
      } catch (err) {
        if (stop.aborted) return;
        const { code, details } = err as Partial<ServiceError>;
        if (code !== undefined && CLAIM_REFUSALS.has(code)) {
          this.giveUp(new Error(`the server refuses this executor's claims (${status[code]}: ${details})`, { cause: err }));
          return;
        }
        const halted = code === status.FAILED_PRECONDITION;
        const delay = halted ? HALT_RECHECK_MS : backoffDelay(failures++);
        log.warn({ code: code === undefined ? undefined : status[code], reason: details ?? String(err), retryInMs: delay }, halted ? 'claim refused' : 'claim failed; retrying');
        try {
          await sleep(delay, stop);
        } catch {
          return;
        }
        continue;
      }
      if (reply.action !== undefined) this.startRun({ ...reply, action: reply.action });
    }
  }

  private startRun(claim: ExecuteResponse & { readonly action: Action }): void {
    const { actions, subscriber, handlers, config } = this.deps;
    const log = this.log;
    const id = this.nextRun++;
    const run = runAction(claim, {
      actions, subscriber, handlers, log, executorId: config.executorId, shutdown: this.abortRunning.signal,
    })
      .catch((err: unknown) => log.error({ err, actionId: claim.action.actionId }, 'action run crashed'))
      .finally(() => {
        this.running.delete(id);
        this.running$.next(this.running.size);
      });
    this.running.set(id, run);
    this.running$.next(this.running.size);
  }

  private async drain(): Promise<void> {
    if (this.running.size === 0) return;
    const log = this.log;
    const drained = Promise.allSettled([...this.running.values()]);
    log.info({ running: this.running.size, graceMs: this.graceMs }, 'waiting for running actions to finish');
    // Whichever comes first: every run finished, the grace period over, or an abort asked for.
    const graceOver = new AbortController();
    await Promise.race([drained.finally(() => graceOver.abort()), sleep(this.graceMs, AbortSignal.any([graceOver.signal, this.abortRunning.signal])).catch(() => {})]);
    if (this.running.size > 0) {
      log.warn({ running: this.running.size }, 'grace period over');
      this.abortNow();
    }
    await drained;
  }
}
