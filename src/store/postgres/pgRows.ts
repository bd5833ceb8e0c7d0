import type { Action, ControlState, HistoryEvent, JsonObject, PolicyVerdict } from '../../domain/action.js';
import type { ActionStatus } from '../../domain/actionStatus.js';
import type { ControlSignal, SignalKind } from '../../domain/controlSignal.js';
import type { RiskLevel } from '../../domain/riskLevel.js';

/** An `actions` row as pg returns it (BIGINT parsed to number by pgTypes). */
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
  approval_required: boolean;
  autonomous_eligible: boolean;
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
  paused_by_halt: boolean;
  control_sequence: number;
  approvals_required: number;
  approved_by: string;
  policy_rule: string | null;
  policy_would_approve: boolean | null;
  policy_mode: string | null;
  policy_reason: string | null;
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
  decision: string | null;
  hash: string;
  previous_hash: string;
  action_type: string;
  node: string;
  service: string;
}

export interface SignalRow {
  sequence: number;
  action_id: string | null;
  executor_id: string | null;
  signal: string;
  reason: string;
  issued_by: string;
  issued_at: number;
  terminate_running: boolean;
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
    approvalRequired: row.approval_required,
    autonomousEligible: row.autonomous_eligible,
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
    pausedByHalt: row.paused_by_halt,
    controlSequence: row.control_sequence,
    approvalsRequired: row.approvals_required,
    approvedBy: JSON.parse(row.approved_by) as string[],
    policyVerdict:
      row.policy_mode === null
        ? null
        : { rule: row.policy_rule ?? '', wouldApprove: row.policy_would_approve === true, mode: row.policy_mode as PolicyVerdict['mode'], reason: row.policy_reason ?? '' },
  };
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
    hash: row.hash,
    previousHash: row.previous_hash,
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
    terminateRunning: row.terminate_running,
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
    action.approvalRequired,
    action.autonomousEligible,
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
    action.pausedByHalt,
    action.controlSequence,
    action.approvalsRequired,
    JSON.stringify(action.approvedBy),
    action.policyVerdict?.rule ?? null,
    action.policyVerdict?.wouldApprove ?? null,
    action.policyVerdict?.mode ?? null,
    action.policyVerdict?.reason ?? null,
  ];
}

export function insertValues(action: Action, version: number): unknown[] {
  return [action.id, action.createdAt, action.proposedBy, action.idempotencyKey === '' ? null : action.idempotencyKey, ...changeValues(action, version)];
}
