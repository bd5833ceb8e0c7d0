import { status, type ServiceError } from '@grpc/grpc-js';
import { SILENT_LOG, type ExecutorLog } from './ExecutorLog.js';
import type { ActionClient } from '../client/ActionClient.js';
import { sleep } from '../shared/abortableWait.js';
import type { LocalControlState } from '../client/LocalControlState.js';
import { controlFromProto } from './controlFromProto.js';

/** Heartbeat answers that mean the lease no longer holds this action. */
const LEASE_GONE: ReadonlySet<status> = new Set([status.ABORTED, status.NOT_FOUND, status.FAILED_PRECONDITION]);

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
 * gone, or the lease runs out on the local clock while the server cannot be
 * reached, it revokes the action locally: the guard aborts and the work stops.
 */
export class LeaseKeeper {
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  /** Local time by which the lease lapses unless a heartbeat extends it. */
  private expiresAt: number;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.expiresAt = Date.now() + options.leaseTtlMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopController.abort(new Error('lease keeper stopped'));
    await this.loop;
  }

  private async run(): Promise<void> {
    const { actions, state, actionId, leaseId, leaseTtlMs, log = SILENT_LOG } = this.options;
    const stop = this.stopController.signal;
    const intervalMs = Math.max(100, Math.floor(leaseTtlMs / 3));
    while (!stop.aborted) {
      try {
        await sleep(intervalMs, stop);
      } catch {
        return;
      }
      const sentAt = Date.now();
      try {
        const reply = await actions.heartbeat({ actionId, leaseId }, { signal: stop, timeoutMs: intervalMs });
        this.expiresAt = sentAt + leaseTtlMs;
        const control = controlFromProto(reply.controlState);
        if (control !== null) state.applyHeartbeat(actionId, control, Number(reply.controlSequence), reply.halted, reply.haltTerminatesRunning);
        log.debug({ control, halted: reply.halted }, 'heartbeat');
      } catch (err) {
        if (stop.aborted) return;
        const { code, details } = err as Partial<ServiceError>;
        if (code !== undefined && LEASE_GONE.has(code)) {
          log.warn({ code: status[code], reason: details }, 'lease lost: stopping the action');
          state.revoke(actionId, `lease lost: ${details ?? status[code]}`);
          return;
        }
        if (Date.now() >= this.expiresAt) {
          log.warn({ code: code === undefined ? undefined : status[code], reason: details }, 'lease lapsed while the server was unreachable: stopping the action');
          state.revoke(actionId, 'lease lapsed while the server was unreachable');
          return;
        }
        log.warn({ code: code === undefined ? undefined : status[code], reason: details ?? String(err) }, 'heartbeat failed; retrying at the next interval');
      }
    }
  }
}
