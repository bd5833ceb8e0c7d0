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

/** Where a live subscription's signals go: the stream. `write` returns false when the stream's buffer is full. */
export interface SignalSink {
  write(signal: ControlSignal): boolean;
  /** The reader fell too far behind: end the stream with `err`. */
  overflow(err: SubscriptionOverflowError): void;
}

/**
 * One executor's live signals. While the stream keeps up, the hub's push writes
 * straight to it (one synchronous write per signal, no queue, no task switch);
 * signals are held only before the snapshot has been sent and while the stream
 * waits for 'drain'. Holding more than the limit cuts the stream off, so a slow
 * reader costs only itself. Signals at or below the snapshot's high-water mark
 * were in the snapshot and are dropped.
 */
export class Subscription {
  private held: ControlSignal[] = [];
  private sink: SignalSink | null = null;
  private waitingForDrain = false;
  private after = -1;
  private ended = false;
  private overflowed: SubscriptionOverflowError | null = null;

  constructor(
    readonly executorId: string,
    private readonly unregister: (subscription: Subscription) => void,
    private readonly limit = SUBSCRIPTION_BUFFER_LIMIT,
  ) {}

  push(signal: ControlSignal): void {
    if (this.ended) return;
    if (this.sink !== null && !this.waitingForDrain && this.held.length === 0) {
      this.send(signal);
      return;
    }
    this.held.push(signal);
    if (this.held.length > this.limit) this.fail(new SubscriptionOverflowError(this.executorId, this.limit));
  }

  /** The snapshot up to `highWater` has been sent: from here on signals go to `sink`. */
  goLive(highWater: number, sink: SignalSink): void {
    this.after = highWater;
    this.sink = sink;
    if (this.overflowed !== null) sink.overflow(this.overflowed);
    else this.flush();
  }

  /** The stream has room again. */
  drained(): void {
    this.waitingForDrain = false;
    this.flush();
  }

  close(): void {
    this.ended = true;
    this.held = [];
    this.unregister(this);
  }

  private flush(): void {
    let index = 0;
    while (index < this.held.length && !this.waitingForDrain && !this.ended) this.send(this.held[index++]!);
    this.held = this.held.slice(index);
  }

  private send(signal: ControlSignal): void {
    if (signal.sequence <= this.after) return;
    this.after = signal.sequence;
    try {
      if (!this.sink!.write(signal)) this.waitingForDrain = true;
    } catch {
      // The stream is gone; the handler's cleanup will close this subscription.
      this.ended = true;
    }
  }

  private fail(err: SubscriptionOverflowError): void {
    this.ended = true;
    this.overflowed = err;
    this.held = [];
    this.sink?.overflow(err);
  }
}
