import { ActionStatus } from '../src/gen/actiongate/v1/action.js';
import type { ProposeRequest } from '../src/gen/actiongate/v1/action_service.js';
import type { ActionClientPool } from './clientPool.js';
import type { Operation } from './loadGenerator.js';

/** What an agent typically proposes: a catalog type, a small structured payload. */
export const PROPOSAL: ProposeRequest = {
  actionType: 'rerun_healthcheck',
  node: 'node-017.eu-west-1',
  service: 'checkout-api',
  payload: { probe: 'http', path: '/healthz', timeoutSeconds: 5, reason: 'p99 latency above SLO for 10 minutes' },
  confidence: 0.92,
  riskLevel: 0,
  correlationId: 'incident-2024-0042',
  rollbackReference: 'deploy/checkout-api@v1.41.2',
  idempotencyKey: '',
  ttlSeconds: 0,
};

/** What the executor reports when the work is done. */
export const RESULT = { healthy: true, latencyMs: 42 };

/** One full lifecycle, each step a durable RPC: Propose, Approve, Execute, Complete. */
export function lifecycleOperation(pool: ActionClientPool, deadlineMs: number): Operation {
  return async (worker, timed) => {
    const client = pool.take();
    const options = { timeoutMs: deadlineMs };
    const proposed = await timed('Propose', () => client.propose({ ...PROPOSAL, correlationId: `bench-${worker}` }, options));
    const actionId = proposed.action!.actionId;
    await timed('Approve', () => client.approve({ actionId, reason: 'benchmark' }, options));
    const claimed = await timed('Execute', () => client.execute({ executorId: `bench-executor-${worker}`, actionId }, options));
    const done = await timed('Complete', () => client.complete({ actionId, leaseId: claimed.leaseId, result: RESULT }, options));
    if (done.action?.status !== ActionStatus.ACTION_STATUS_COMPLETED) throw new Error(`action ${actionId} did not complete`);
  };
}
