import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ACTION_STATUSES } from '../domain/actionStatus.js';
import type { StoreStats } from '../store/ActionStore.js';
import type { StoreHealth } from '../store/storeErrors.js';

/**
 * One read of the store's stats per scrape: the gauges that need it are
 * collected together, and share the read in flight.
 */
function sharedRead(read: () => Promise<StoreStats>): () => Promise<StoreStats> {
  let inFlight: Promise<StoreStats> | null = null;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}

/** What Prometheus scrapes from /metrics; one registry per server so tests can run several. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly handled: Counter<'grpc_method' | 'grpc_code'>;
  readonly handlingSeconds: Histogram<'grpc_method'>;
  readonly transitions: Counter<'to'>;
  readonly controlSignals: Counter<'signal'>;
  readonly subscribers: Gauge;
  readonly diskFull: Gauge;
  readonly authFailures: Counter<'reason'>;
  readonly diskReserve: Gauge;
  readonly notifications: Counter<'outcome'>;

  /** `storeStats` feeds the on-call gauges (actions by status, halted, oldest pending, undelivered notifications). */
  constructor(subscriberCount: () => number, storeHealth: () => StoreHealth, storeStats?: () => Promise<StoreStats>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'actiongate_' });
    this.handled = new Counter({
      name: 'actiongate_grpc_server_handled_total',
      help: 'Unary calls answered, by method and gRPC status',
      labelNames: ['grpc_method', 'grpc_code'],
      registers,
    });
    this.handlingSeconds = new Histogram({
      name: 'actiongate_grpc_server_handling_seconds',
      help: 'Time from receiving a unary call to answering it, durable write included',
      labelNames: ['grpc_method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    });
    this.transitions = new Counter({
      name: 'actiongate_transitions_total',
      help: 'Action transitions this server committed, by the status moved to (each replica counts its own)',
      labelNames: ['to'],
      registers,
    });
    this.controlSignals = new Counter({
      name: 'actiongate_control_signals_total',
      help: 'Control signals this server committed, by kind (each replica counts its own)',
      labelNames: ['signal'],
      registers,
    });
    this.subscribers = new Gauge({
      name: 'actiongate_control_subscribers',
      help: 'Open ControlService.Subscribe streams',
      registers,
      collect() {
        this.set(subscriberCount());
      },
    });
    this.authFailures = new Counter({
      name: 'actiongate_auth_failures_total',
      help: 'Calls refused as unauthenticated, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.diskFull = new Gauge({
      name: 'actiongate_disk_full',
      help: '1 while the data directory\'s disk is full and only kill-switch writes are taken',
      registers,
      collect() {
        this.set(storeHealth().diskFull ? 1 : 0);
      },
    });
    this.diskReserve = new Gauge({
      name: 'actiongate_disk_reserve_bytes',
      help: 'Disk held back for the kill switch (0 once released, or when there is none)',
      registers,
      collect() {
        this.set(storeHealth().reserveBytes);
      },
    });
    this.notifications = new Counter({
      name: 'actiongate_notifications_total',
      help: 'Webhook delivery attempts, by outcome (delivered or failed)',
      labelNames: ['outcome'],
      registers,
    });
    if (storeStats !== undefined) this.addStoreGauges(sharedRead(storeStats));
  }

  private addStoreGauges(stats: () => Promise<StoreStats>): void {
    const registers = [this.registry];
    new Gauge({
      name: 'actiongate_actions',
      help: 'Actions by status, as stored now',
      labelNames: ['status'],
      registers,
      async collect() {
        const { actionsByStatus } = await stats();
        for (const status of ACTION_STATUSES) this.set({ status }, actionsByStatus[status]);
      },
    });
    new Gauge({
      name: 'actiongate_halted',
      help: '1 while a global halt is in force, else 0',
      registers,
      async collect() {
        this.set((await stats()).halted ? 1 : 0);
      },
    });
    new Gauge({
      name: 'actiongate_oldest_pending_seconds',
      help: 'Age of the oldest action waiting for approval (0 when none waits)',
      registers,
      async collect() {
        const { oldestPendingCreatedAt } = await stats();
        this.set(oldestPendingCreatedAt === null ? 0 : Math.max(0, (Date.now() - oldestPendingCreatedAt) / 1000));
      },
    });
    new Gauge({
      name: 'actiongate_notifications_undelivered',
      help: 'Webhook notifications recorded and not yet delivered',
      registers,
      async collect() {
        this.set((await stats()).undeliveredNotifications);
      },
    });
  }
}
