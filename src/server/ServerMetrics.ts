import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StoreHealth } from '../store/storeErrors.js';

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

  constructor(subscriberCount: () => number, storeHealth: () => StoreHealth) {
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
      help: 'Committed action transitions, by the status moved to',
      labelNames: ['to'],
      registers,
    });
    this.controlSignals = new Counter({
      name: 'actiongate_control_signals_total',
      help: 'Committed control signals, by kind',
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
  }
}
