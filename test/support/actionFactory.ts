import { randomUUID } from 'node:crypto';
import type { ActionClient } from '../../src/client/ActionClient.js';
import { ActionStatus, type Action } from '../../src/gen/actiongate/v1/action.js';
import type { ProposeRequest } from '../../src/gen/actiongate/v1/action_service.js';
import { waitFor } from './waitFor.js';

/** The statuses a caller can bring an action into through ActionService alone. */
export type ReachableStatus = 'PENDING' | 'APPROVED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'REJECTED' | 'EXPIRED';

export const REACHABLE_STATUSES: readonly ReachableStatus[] = [
  'PENDING', 'APPROVED', 'RUNNING', 'COMPLETED', 'FAILED', 'REJECTED', 'EXPIRED',
];

export function statusName(value: ActionStatus | undefined): string {
  return value === undefined ? 'undefined' : ActionStatus[value].replace('ACTION_STATUS_', '');
}

export function statusValue(name: string): ActionStatus {
  return ActionStatus[`ACTION_STATUS_${name}` as keyof typeof ActionStatus];
}

/** A node name no other test uses, so list and watch filters see only this test's actions. */
export function uniqueNode(prefix = 'node'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface PreparedAction {
  readonly action: Action;
  /** The lease of the last claim, '' when the action never ran. */
  readonly leaseId: string;
  readonly executorId: string;
}

export async function proposeAction(client: ActionClient, request: Partial<ProposeRequest> = {}): Promise<Action> {
  const { action } = await client.propose({
    actionType: 'rerun_healthcheck',
    node: uniqueNode(),
    service: 'api',
    confidence: 0.9,
    payload: { reason: 'test' },
    ...request,
  });
  if (action === undefined) throw new Error('Propose answered without an action');
  return action;
}

export async function getAction(client: ActionClient, actionId: string): Promise<Action> {
  const { action } = await client.getAction({ actionId });
  if (action === undefined) throw new Error(`GetAction ${actionId} answered without an action`);
  return action;
}

/**
 * An action brought into `status` by real RPCs. EXPIRED needs a server whose sweeper
 * runs often (sweepIntervalMs of a few hundred ms or less): it waits for the sweep.
 */
export async function actionIn(client: ActionClient, status: ReachableStatus, request: Partial<ProposeRequest> = {}): Promise<PreparedAction> {
  const executorId = `executor-${randomUUID().slice(0, 8)}`;
  if (status === 'EXPIRED') {
    const proposed = await proposeAction(client, { ...request, ttlSeconds: 1 });
    const action = await waitFor(
      () => getAction(client, proposed.actionId),
      (a) => a.status === ActionStatus.ACTION_STATUS_EXPIRED,
      { what: `action ${proposed.actionId} to expire` },
    );
    return { action, leaseId: '', executorId };
  }
  const proposed = await proposeAction(client, request);
  const id = proposed.actionId;
  if (status === 'PENDING') return { action: proposed, leaseId: '', executorId };
  if (status === 'REJECTED') {
    const { action } = await client.reject({ actionId: id, reason: 'not needed' });
    return { action: action!, leaseId: '', executorId };
  }
  const approved = (await client.approve({ actionId: id, reason: 'looks right' })).action!;
  if (status === 'APPROVED') return { action: approved, leaseId: '', executorId };
  const claimed = await client.execute({ executorId, actionId: id });
  if (claimed.action === undefined) throw new Error(`Execute did not claim ${id}`);
  if (status === 'RUNNING') return { action: claimed.action, leaseId: claimed.leaseId, executorId };
  if (status === 'COMPLETED') {
    const { action } = await client.complete({ actionId: id, leaseId: claimed.leaseId, result: { ok: true } });
    return { action: action!, leaseId: claimed.leaseId, executorId };
  }
  const { action } = await client.fail({ actionId: id, leaseId: claimed.leaseId, error: 'broken', retryable: false });
  return { action: action!, leaseId: claimed.leaseId, executorId };
}
