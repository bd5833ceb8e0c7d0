import type { ControlSignal } from '../domain/controlSignal.js';
import type { ControlStore } from '../store/ControlStore.js';
import { Subscription, SUBSCRIPTION_BUFFER_LIMIT } from './Subscription.js';

/**
 * Fans committed control signals out to the executors' streams: a signal for
 * an action goes to the executor holding it, HALT and UNHALT go to everyone.
 * Routing only appends to each stream's own buffer, so a slow stream never
 * delays another.
 */
export class ControlHub {
  private readonly byExecutor = new Map<string, Set<Subscription>>();
  private readonly everyone = new Set<Subscription>();
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly store: ControlStore,
    private readonly bufferLimit = SUBSCRIPTION_BUFFER_LIMIT,
  ) {}

  start(): void {
    this.stopListening = this.store.onSignals((signals) => {
      for (const signal of signals) this.route(signal);
    });
  }

  stop(): void {
    this.stopListening?.();
    for (const subscription of [...this.everyone]) subscription.close();
  }

  /** Registers before the caller reads its snapshot, so nothing committed in between is missed. */
  subscribe(executorId: string): Subscription {
    const subscription = new Subscription(executorId, (s) => this.remove(s), this.bufferLimit);
    let set = this.byExecutor.get(executorId);
    if (set === undefined) {
      set = new Set();
      this.byExecutor.set(executorId, set);
    }
    set.add(subscription);
    this.everyone.add(subscription);
    return subscription;
  }

  subscriberCount(): number {
    return this.everyone.size;
  }

  subscribedExecutors(): string[] {
    return [...this.byExecutor.keys()].sort();
  }

  private route(signal: ControlSignal): void {
    if (signal.actionId === null) {
      for (const subscription of this.everyone) subscription.push(signal);
    } else if (signal.executorId !== null) {
      for (const subscription of this.byExecutor.get(signal.executorId) ?? []) subscription.push(signal);
    }
  }

  private remove(subscription: Subscription): void {
    this.everyone.delete(subscription);
    const set = this.byExecutor.get(subscription.executorId);
    set?.delete(subscription);
    if (set?.size === 0) this.byExecutor.delete(subscription.executorId);
  }
}
