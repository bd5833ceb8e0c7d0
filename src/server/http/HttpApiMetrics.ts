import { Counter, Gauge } from 'prom-client';
import type { ServerMetrics } from '../ServerMetrics.js';

/** JSON API requests answered, by RPC and HTTP status; beside the gRPC counters, in the same registry. */
export class HttpApiMetrics {
  readonly answered: Counter<'rpc' | 'code'>;
  readonly openEventStreams: Gauge;

  constructor(metrics: ServerMetrics) {
    this.answered = new Counter({
      name: 'actiongate_http_api_requests_total',
      help: 'JSON API requests answered, by the RPC they map to and HTTP status',
      labelNames: ['rpc', 'code'],
      registers: [metrics.registry],
    });
    this.openEventStreams = new Gauge({
      name: 'actiongate_http_event_streams',
      help: 'GET /api/v1/events streams open now',
      registers: [metrics.registry],
    });
  }
}
