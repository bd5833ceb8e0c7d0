import type { Logger } from 'pino';
import { ConflictError, IllegalTransitionError } from '../domain/errors.js';
import * as lifecycle from '../domain/lifecycle.js';
import type { ActionStore } from '../store/ActionStore.js';

const SWEEP_BATCH = 200;

/**
 * Returns actions whose lease ran out to APPROVED (or FAILED once attempts are
 * spent), and expires PENDING actions nobody decided in time and APPROVED ones
 * nobody claimed in time. Each step is
 * decided again inside the store's transaction, so a heartbeat or a decision
 * that lands first wins and the sweep skips that action.
 */
export class LeaseSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ActionStore,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(async () => void (await this.sweep())).catch((err: unknown) => this.log.error({ err }, 'sweep failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; resolves with how many actions changed. */
  async sweep(now: number = Date.now()): Promise<number> {
    const expired = await this.store.findExpired(now, SWEEP_BATCH);
    const steps = [
      ...expired.leases.map((id) => this.apply(id, (current, at) => lifecycle.expireLease(current, at))),
      ...expired.pending.map((id) => this.apply(id, (current, at) => lifecycle.expire(current, at))),
      ...expired.approvals.map((id) => this.apply(id, (current, at) => lifecycle.expire(current, at))),
    ];
    const changed = await Promise.all(steps);
    return changed.filter(Boolean).length;
  }

  private async apply(actionId: string, step: lifecycle.ActionChangeStep): Promise<boolean> {
    try {
      const action = await this.store.update(actionId, step);
      const event = action.history[action.history.length - 1];
      this.log.info({ actionId, from: event?.from, to: event?.to, actor: lifecycle.SYSTEM_ACTOR }, 'transition');
      return true;
    } catch (err) {
      if (err instanceof ConflictError || err instanceof IllegalTransitionError) return false;
      throw err;
    }
  }
}
