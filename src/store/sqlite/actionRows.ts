import type { Action, ControlState, HistoryEvent, JsonObject, PolicyVerdict } from '../../domain/action.js';
import type { ActionStatus } from '../../domain/actionStatus.js';
import type { ControlSignal, SignalKind } from '../../domain/controlSignal.js';
import type { RiskLevel } from '../../domain/riskLevel.js';

/** An `actions` row as better-sqlite3 returns it. */
export interface ActionRow {
  id: string;
  version: number;
  created_at: number;
  updated_at: number;
  proposed_by: string;
  idempotency_key: string | null;
  correlation_id: string;
  node: string;
  service: string;
  action_type: string;
  risk_level: string;
  confidence: number;
  approval_required: number;
  autonomous_eligible: number;
  status: string;
  payload: string;
  rollback_reference: string;
  expires_at: number | null;
  attempt: number;
  max_attempts: number;
  lease_id: string | null;
  lease_executor: string | null;
  lease_expires_at: number | null;
  lease_ttl_ms: number | null;
  result: string | null;
  error: string;
  control: string;
  paused_by_halt: number;
  control_sequence: number;
  approvals_required: number;
  approved_by: string;
  policy_rule: string | null;
  policy_would_approve: number | null;
  policy_mode: string | null;
  policy_reason: string | null;
}

export interface SignalRow {
  sequence: number;
  action_id: string | null;
  executor_id: string | null;
  signal: string;
  reason: string;
  issued_by: string;
  issued_at: number;
  terminate_running: number;
}

export interface EventRow {
  sequence: number;
  action_id: string;
  from_status: string | null;
  to_status: string;
  actor: string;
  reason: string;
  at: number;
  attempt: number;
  action_type: string;
  node: string;
  service: string;
  decision: string | null;
  hash: string | null;
  previous_hash: string | null;
}

export function actionFromRow(row: ActionRow): Action {
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    proposedBy: row.proposed_by,
    idempotencyKey: row.idempotency_key ?? '',
    correlationId: row.correlation_id,
    node: row.node,
    service: row.service,
    actionType: row.action_type,
    riskLevel: row.risk_level as RiskLevel,
    confidence: row.confidence,
    approvalRequired: row.approval_required === 1,
    autonomousEligible: row.autonomous_eligible === 1,
    status: row.status as ActionStatus,
    payload: JSON.parse(row.payload) as JsonObject,
    rollbackReference: row.rollback_reference,
    expiresAt: row.expires_at,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    lease:
      row.lease_id === null
        ? null
        : { leaseId: row.lease_id, executorId: row.lease_executor ?? '', expiresAt: row.lease_expires_at ?? 0, ttlMs: row.lease_ttl_ms ?? 0 },
    result: row.result === null ? null : (JSON.parse(row.result) as JsonObject),
    error: row.error,
    control: row.control as ControlState,
    pausedByHalt: row.paused_by_halt === 1,
    controlSequence: row.control_sequence,
    approvalsRequired: row.approvals_required,
    approvedBy: JSON.parse(row.approved_by) as string[],
    policyVerdict:
      row.policy_mode === null
        ? null
        : { rule: row.policy_rule ?? '', wouldApprove: row.policy_would_approve === 1, mode: row.policy_mode as PolicyVerdict['mode'], reason: row.policy_reason ?? '' },
  };
}

export function signalFromRow(row: SignalRow): ControlSignal {
  return {
    sequence: row.sequence,
    actionId: row.action_id,
    executorId: row.executor_id,
    signal: row.signal as SignalKind,
    reason: row.reason,
    issuedBy: row.issued_by,
    issuedAt: row.issued_at,
    terminateRunning: row.terminate_running === 1,
  };
}

/** The columns of `actions` a change may rewrite, in the order of `changeValues`. */
export const CHANGE_COLUMNS = [
  'version', 'updated_at', 'correlation_id', 'node', 'service', 'action_type', 'risk_level', 'confidence',
  'approval_required', 'autonomous_eligible', 'status', 'payload', 'rollback_reference', 'expires_at', 'attempt',
  'max_attempts', 'lease_id', 'lease_executor', 'lease_expires_at', 'lease_ttl_ms', 'result', 'error', 'control',
  'paused_by_halt', 'control_sequence', 'approvals_required', 'approved_by', 'policy_rule', 'policy_would_approve', 'policy_mode',
  'policy_reason',
] as const;

/** Every column of `actions`, in the order of `insertValues`. */
export const INSERT_COLUMNS = ['id', 'created_at', 'proposed_by', 'idempotency_key', ...CHANGE_COLUMNS] as const;

/**
 * Positional parameters, in CHANGE_COLUMNS order. Binding 29 named parameters
 * costs more than the INSERT itself; see actionRecord for the figure.
 */
export function changeValues(action: Action, version: number): unknown[] {
  return [
    version,
    action.updatedAt,
    action.correlationId,
    action.node,
    action.service,
    action.actionType,
    action.riskLevel,
    action.confidence,
    action.approvalRequired ? 1 : 0,
    action.autonomousEligible ? 1 : 0,
    action.status,
    JSON.stringify(action.payload),
    action.rollbackReference,
    action.expiresAt,
    action.attempt,
    action.maxAttempts,
    action.lease?.leaseId ?? null,
    action.lease?.executorId ?? null,
    action.lease?.expiresAt ?? null,
    action.lease?.ttlMs ?? null,
    action.result === null ? null : JSON.stringify(action.result),
    action.error,
    action.control,
    action.pausedByHalt ? 1 : 0,
    action.controlSequence,
    action.approvalsRequired,
    JSON.stringify(action.approvedBy),
    action.policyVerdict?.rule ?? null,
    action.policyVerdict === null ? null : action.policyVerdict.wouldApprove ? 1 : 0,
    action.policyVerdict?.mode ?? null,
    action.policyVerdict?.reason ?? null,
  ];
}

export function insertValues(action: Action): unknown[] {
  return [action.id, action.createdAt, action.proposedBy, action.idempotencyKey === '' ? null : action.idempotencyKey, ...changeValues(action, 1)];
}

export function eventFromRow(row: EventRow): HistoryEvent {
  return {
    sequence: row.sequence,
    actionId: row.action_id,
    from: row.from_status as ActionStatus | null,
    to: row.to_status as ActionStatus,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
    attempt: row.attempt,
    actionType: row.action_type,
    node: row.node,
    service: row.service,
    decision: row.decision as HistoryEvent['decision'],
    hash: row.hash ?? '',
    previousHash: row.previous_hash ?? '',
  };
}
