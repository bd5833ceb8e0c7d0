import { status, type ServiceError } from '@grpc/grpc-js';
import { SILENT_LOG, type ExecutorLog } from './ExecutorLog.js';
import type { ActionClient } from '../client/ActionClient.js';
import { sleep } from '../shared/abortableWait.js';
import type { LocalControlState } from '../client/LocalControlState.js';
import { controlFromProto } from './controlFromProto.js';

/** Heartbeat answers that mean the lease no longer holds this action. */
const LEASE_GONE: ReadonlySet<status> = new Set([status.ABORTED, status.NOT_FOUND, status.FAILED_PRECONDITION]);
/** The work is stopped this share of the lease before it lapses locally, at most MAX_LAPSE_MARGIN_MS. */
const LAPSE_MARGIN_SHARE = 0.1;
const MAX_LAPSE_MARGIN_MS = 1000;
const MIN_HEARTBEAT_INTERVAL_MS = 100;
const LAPSED_REASON = 'lease lapsed while the server was unreachable';

export interface LeaseKeeperOptions {
  readonly actions: ActionClient;
  readonly state: LocalControlState;
  readonly actionId: string;
  readonly leaseId: string;
  readonly leaseTtlMs: number;
  /** Defaults to logging nothing. */
  readonly log?: ExecutorLog;
}

/**
 * Heartbeats one lease every third of its time to live and feeds each reply's
 * control state to LocalControlState, so a dead control stream never hides a
 * terminate for longer than one heartbeat. When the server says the lease is
 * gone, or the lease runs out on the local clock without a heartbeat getting
 * through (the server down, or a link that swallows calls until they time
 * out), it revokes the action locally: the guard aborts and the work stops,
 * without waiting for the server to say so.
 *
 * The local lease is counted on the monotonic clock from when each successful
 * heartbeat was sent, which is before the server extended it, and given up a
 * tenth of its length (at most a second) early, so the work has stopped by the
 * time the server may hand the action to another executor, even with timers
 * running late.
 */
export class LeaseKeeper {
  /** Aborted by `stop` or by the lapse: no more heartbeats either way. */
  private readonly ended = new AbortController();
  private loop: Promise<void> | undefined;
  /** performance.now() by which the lease lapses unless a heartbeat extends it. */
  private expiresAt: number;
  private lapseTimer: NodeJS.Timeout | undefined;

  /** How often a lease of `leaseTtlMs` is heartbeated: a third of it. */
  static heartbeatIntervalMs(leaseTtlMs: number): number {
    return Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.floor(leaseTtlMs / 3));
  }

  constructor(private readonly options: LeaseKeeperOptions) {
    this.expiresAt = performance.now() + options.leaseTtlMs;
  }

  start(): void {
    if (this.loop !== undefined) return;
    this.armLapse();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    clearTimeout(this.lapseTimer);
    this.ended.abort(new Error('lease keeper stopped'));
    await this.loop;
  }

  private armLapse(): void {
    clearTimeout(this.lapseTimer);
    const margin = Math.min(MAX_LAPSE_MARGIN_MS, this.options.leaseTtlMs * LAPSE_MARGIN_SHARE);
    this.lapseTimer = setTimeout(() => this.lapse(), Math.max(0, this.expiresAt - margin - performance.now()));
  }

  private lapse(): void {
    if (this.ended.signal.aborted) return;
    const { state, actionId, log = SILENT_LOG } = this.options;
    log.warn({ leaseTtlMs: this.options.leaseTtlMs }, 'lease lapsed with no heartbeat getting through: stopping the action');
    this.ended.abort(new Error(LAPSED_REASON));
    state.revoke(actionId, LAPSED_REASON);
  }

  private async run(): Promise<void> {
    const { actions, state, actionId, leaseId, leaseTtlMs, log = SILENT_LOG } = this.options;
    const ended = this.ended.signal;
    const intervalMs = LeaseKeeper.heartbeatIntervalMs(leaseTtlMs);
    while (!ended.aborted) {
      try {
        await sleep(intervalMs, ended);
      } catch {
        return;
      }
      const sentAt = performance.now();
      try {
        const reply = await actions.heartbeat({ actionId, leaseId }, { signal: ended, timeoutMs: intervalMs });
        // A reply that arrives after the lease lapsed here changes nothing: the work has been stopped.
        if (ended.aborted) return;
        this.expiresAt = sentAt + leaseTtlMs;
        this.armLapse();
        const control = controlFromProto(reply.controlState);
        if (control !== null) state.applyHeartbeat(actionId, control, Number(reply.controlSequence), reply.halted, reply.haltTerminatesRunning);
        log.debug({ control, halted: reply.halted }, 'heartbeat');
      } catch (err) {
        if (ended.aborted) return;
        const { code, details } = err as Partial<ServiceError>;
        if (code !== undefined && LEASE_GONE.has(code)) {
          clearTimeout(this.lapseTimer);
          log.warn({ code: status[code], reason: details }, 'lease lost: stopping the action');
          state.revoke(actionId, `lease lost: ${details ?? status[code]}`);
          return;
        }
        const leaseLeftMs = Math.round(this.expiresAt - performance.now());
        log.warn({ code: code === undefined ? undefined : status[code], reason: details ?? String(err), leaseLeftMs }, 'heartbeat failed; retrying at the next interval');
      }
    }
  }
}
