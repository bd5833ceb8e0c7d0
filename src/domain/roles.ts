import type { Action } from './action.js';
import { PermissionDeniedError } from './errors.js';

/** What a principal may do; each role adds RPCs to the reads every principal has. */
export type Role = 'agent' | 'approver' | 'executor' | 'operator' | 'viewer' | 'admin';
export const ROLES: readonly Role[] = ['agent', 'approver', 'executor', 'operator', 'viewer', 'admin'];

/** Every RPC of actiongate.v1, by its name in the contract. */
export type Rpc =
  | 'Propose' | 'Approve' | 'Reject' | 'Execute' | 'Heartbeat' | 'Complete' | 'Fail' | 'GetAction' | 'ListActions' | 'WatchActions'
  | 'Subscribe' | 'Pause' | 'Resume' | 'Terminate' | 'Halt' | 'Unhalt' | 'GetControlState' | 'Ack' | 'VerifyHistory' | 'GetPolicy'
  | 'WatchSignals';

/** The role each RPC needs; null for the reads open to every authenticated principal. admin may call everything. */
export const REQUIRED_ROLE: Readonly<Record<Rpc, Role | null>> = {
  Propose: 'agent',
  Approve: 'approver',
  Reject: 'approver',
  Execute: 'executor',
  Heartbeat: 'executor',
  Complete: 'executor',
  Fail: 'executor',
  Subscribe: 'executor',
  Ack: 'executor',
  Pause: 'operator',
  Resume: 'operator',
  Terminate: 'operator',
  Halt: 'operator',
  Unhalt: 'operator',
  GetAction: null,
  ListActions: null,
  WatchActions: null,
  GetControlState: null,
  VerifyHistory: null,
  GetPolicy: null,
  WatchSignals: null,
};

/** Who is calling, as the credential says; never taken from a request field. */
export interface Principal {
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  /** The executor ids an executor may act as. */
  readonly executorIds: readonly string[];
}

/** The one principal of a server running without an auth file: everyone, recorded as such. */
export const ANONYMOUS: Principal = { name: 'anonymous', roles: new Set(['admin']), executorIds: [] };

export function mayCall(principal: Principal, rpc: Rpc): boolean {
  const needed = REQUIRED_ROLE[rpc];
  return needed === null || principal.roles.has('admin') || principal.roles.has(needed);
}

/** RPCs an agent may also call on an action it proposed itself: withdrawing its own proposal. */
const ON_OWN_PROPOSAL: ReadonlySet<Rpc> = new Set<Rpc>(['Reject']);

const needsRole = (principal: Principal, rpc: Rpc): string => `${principal.name} may not call ${rpc}: it needs the ${REQUIRED_ROLE[rpc]} role (or admin)`;

/**
 * Refuses an RPC outside the principal's roles, naming the role it needs. An agent
 * passes for the RPCs it may call on its own proposals; the operation then checks
 * the action with `requireMayRejectAction`.
 */
export function requireRole(principal: Principal, rpc: Rpc): void {
  if (mayCall(principal, rpc)) return;
  if (ON_OWN_PROPOSAL.has(rpc) && principal.roles.has('agent')) return;
  throw new PermissionDeniedError(needsRole(principal, rpc));
}

/** Rejecting needs the approver role, except for the proposer withdrawing its own action. */
export function requireMayRejectAction(principal: Principal, action: Action): void {
  if (mayCall(principal, 'Reject') || action.proposedBy === principal.name) return;
  throw new PermissionDeniedError(`${needsRole(principal, 'Reject')}, unless it proposed action ${action.id} itself`);
}

/** An executor acts only as one of its own executor ids; admin (and open mode) may act as any. */
export function requireExecutorId(principal: Principal, executorId: string): void {
  if (principal.roles.has('admin') || principal.executorIds.includes(executorId)) return;
  throw new PermissionDeniedError(
    `${principal.name} may not act as executor ${executorId}; its executor ids are ${principal.executorIds.join(', ') || 'none'}`,
  );
}

/**
 * A lease id is the fence on Heartbeat, Complete and Fail; it must also be used by
 * the executor it was granted to. A lease id that does not hold the action is left
 * to the lifecycle to refuse (ABORTED, or an illegal move), which says nothing more.
 */
export function requireLeaseHolder(principal: Principal, action: Action, leaseId: string): void {
  const lease = action.lease;
  if (lease === null || lease.leaseId !== leaseId) return;
  if (principal.roles.has('admin') || principal.executorIds.includes(lease.executorId)) return;
  throw new PermissionDeniedError(`${principal.name} does not hold the lease on action ${action.id}; executor ${lease.executorId} does`);
}
