import type { ControlSignal } from '../domain/controlSignal.js';

/** Signals held for one stream that is not reading; past this the stream is cut off and must resubscribe. */
export const SUBSCRIPTION_BUFFER_LIMIT = 1024;

export class SubscriptionOverflowError extends Error {
  override name = 'SubscriptionOverflowError';
  constructor(
    readonly executorId: string,
    limit: number,
  ) {
    super(`control stream of ${executorId} fell more than ${limit} signals behind; resubscribe for a fresh snapshot`);
  }
}

/**
 * One executor's live signals, buffered between the hub (which pushes without
 * ever waiting) and the stream (which reads at its own pace). Signals pushed
 * before the snapshot was read are dropped once `startAfter` names its high-water mark.
 */
export class Subscription {
  private buffer: ControlSignal[] = [];
  private after = -1;
  private overflowed = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly executorId: string,
    private readonly unregister: (subscription: Subscription) => void,
    private readonly limit = SUBSCRIPTION_BUFFER_LIMIT,
  ) {}

  push(signal: ControlSignal): void {
    if (this.overflowed) return;
    this.buffer.push(signal);
    if (this.buffer.length > this.limit) this.overflowed = true;
    this.wake?.();
  }

  /** Live signals start after the snapshot's high-water mark. */
  startAfter(highWater: number): void {
    this.after = highWater;
  }

  /** Yields live signals in order until `signal` aborts; throws SubscriptionOverflowError if the reader fell behind. */
  async *signals(abort: AbortSignal): AsyncGenerator<ControlSignal> {
    const onAbort = (): void => this.wake?.();
    abort.addEventListener('abort', onAbort, { once: true });
    try {
      while (!abort.aborted) {
        if (this.overflowed) throw new SubscriptionOverflowError(this.executorId, this.limit);
        if (this.buffer.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const batch = this.buffer;
        this.buffer = [];
        for (const signal of batch) {
          if (signal.sequence <= this.after) continue;
          this.after = signal.sequence;
          yield signal;
          if (abort.aborted) return;
        }
      }
    } finally {
      abort.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.unregister(this);
    this.wake?.();
  }
}
