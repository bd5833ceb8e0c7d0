import type { Action, ActionWithHistory, ControlState, DecisionKind, HistoryEvent, Lease, PolicyVerdict } from '../domain/action.js';
import type { ActionStatus } from '../domain/actionStatus.js';
import { ValidationError } from '../domain/errors.js';
import { requireListWithin } from '../domain/validation.js';
import type { RiskLevel } from '../domain/riskLevel.js';
import * as pb from '../gen/actiongate/v1/action.js';

const STATUS_TO_PROTO: Record<ActionStatus, pb.ActionStatus> = {
  PENDING: pb.ActionStatus.ACTION_STATUS_PENDING,
  APPROVED: pb.ActionStatus.ACTION_STATUS_APPROVED,
  RUNNING: pb.ActionStatus.ACTION_STATUS_RUNNING,
  COMPLETED: pb.ActionStatus.ACTION_STATUS_COMPLETED,
  FAILED: pb.ActionStatus.ACTION_STATUS_FAILED,
  REJECTED: pb.ActionStatus.ACTION_STATUS_REJECTED,
  TERMINATED: pb.ActionStatus.ACTION_STATUS_TERMINATED,
  EXPIRED: pb.ActionStatus.ACTION_STATUS_EXPIRED,
};
const STATUS_FROM_PROTO = new Map(Object.entries(STATUS_TO_PROTO).map(([k, v]) => [v, k as ActionStatus]));

const RISK_TO_PROTO: Record<RiskLevel, pb.RiskLevel> = {
  SAFE: pb.RiskLevel.RISK_LEVEL_SAFE,
  GUARDED: pb.RiskLevel.RISK_LEVEL_GUARDED,
  DANGEROUS: pb.RiskLevel.RISK_LEVEL_DANGEROUS,
};
const RISK_FROM_PROTO = new Map(Object.entries(RISK_TO_PROTO).map(([k, v]) => [v, k as RiskLevel]));

const CONTROL_TO_PROTO: Record<ControlState, pb.ControlState> = {
  NONE: pb.ControlState.CONTROL_STATE_NONE,
  PAUSED: pb.ControlState.CONTROL_STATE_PAUSED,
  TERMINATED: pb.ControlState.CONTROL_STATE_TERMINATED,
};

export function statusToProto(status: ActionStatus): pb.ActionStatus {
  return STATUS_TO_PROTO[status];
}

export function riskToProto(risk: RiskLevel): pb.RiskLevel {
  return RISK_TO_PROTO[risk];
}

export function controlToProto(control: ControlState): pb.ControlState {
  return CONTROL_TO_PROTO[control];
}

/** Decoded enums keep numbers the contract does not define; those are refused here. */
export function statusesFromProto(field: string, values: readonly number[]): ActionStatus[] {
  return requireListWithin(field, values).map((value, index) => {
    const status = STATUS_FROM_PROTO.get(value);
    if (status === undefined) {
      throw new ValidationError(`${field}[${index}]`, `${value} is not an ActionStatus; use ACTION_STATUS_PENDING through ACTION_STATUS_EXPIRED`);
    }
    return status;
  });
}

/** null for RISK_LEVEL_UNSPECIFIED (the catalog decides). */
export function riskFromProto(field: string, value: number): RiskLevel | null {
  if (value === pb.RiskLevel.RISK_LEVEL_UNSPECIFIED) return null;
  const risk = RISK_FROM_PROTO.get(value);
  if (risk === undefined) {
    throw new ValidationError(field, `${value} is not a RiskLevel; use RISK_LEVEL_SAFE, RISK_LEVEL_GUARDED or RISK_LEVEL_DANGEROUS`);
  }
  return risk;
}

export function eventToProto(event: HistoryEvent): pb.HistoryEvent {
  return {
    sequence: String(event.sequence),
    actionId: event.actionId,
    from: event.from === null ? pb.ActionStatus.ACTION_STATUS_UNSPECIFIED : STATUS_TO_PROTO[event.from],
    to: STATUS_TO_PROTO[event.to],
    actor: event.actor,
    reason: event.reason,
    at: new Date(event.at),
    attempt: event.attempt,
    actionType: event.actionType,
    node: event.node,
    service: event.service,
    decision: event.decision === null ? pb.DecisionKind.DECISION_KIND_UNSPECIFIED : DECISION_TO_PROTO[event.decision],
    hash: event.hash,
    previousHash: event.previousHash,
  };
}

/**
 * The lease as anyone may read it: its executor, attempt and expiry. The lease id is the fence
 * on Heartbeat, Complete and Fail, so only the ExecuteResponse of the claim that made it has it.
 */
export function leaseToProto(lease: Lease, attempt: number): pb.Lease {
  return { leaseId: '', executorId: lease.executorId, leaseExpiresAt: new Date(lease.expiresAt), attempt };
}

const DECISION_TO_PROTO: Record<DecisionKind, pb.DecisionKind> = {
  APPROVE: pb.DecisionKind.DECISION_KIND_APPROVE,
  REJECT: pb.DecisionKind.DECISION_KIND_REJECT,
};

function decisionsOf(history: readonly HistoryEvent[]): pb.Decision[] {
  const decisions: pb.Decision[] = [];
  for (const event of history) {
    if (event.decision !== null) decisions.push({ kind: DECISION_TO_PROTO[event.decision], actor: event.actor, reason: event.reason, at: new Date(event.at) });
  }
  return decisions;
}

function verdictToProto(verdict: PolicyVerdict | null): pb.PolicyVerdict | undefined {
  return verdict === null ? undefined : { rule: verdict.rule, wouldApprove: verdict.wouldApprove, mode: verdict.mode, reason: verdict.reason };
}

/** The wire form of an action; history (and the decisions read from it) only when the action carries it. */
export function actionToProto(action: Action | ActionWithHistory): pb.Action {
  const history = 'history' in action ? action.history : [];
  return {
    actionId: action.id,
    createdAt: new Date(action.createdAt),
    proposedBy: action.proposedBy,
    correlationId: action.correlationId,
    node: action.node,
    service: action.service,
    actionType: action.actionType,
    riskLevel: RISK_TO_PROTO[action.riskLevel],
    confidence: action.confidence,
    approvalRequired: action.approvalRequired,
    autonomousEligible: action.autonomousEligible,
    status: STATUS_TO_PROTO[action.status],
    payload: action.payload,
    rollbackReference: action.rollbackReference,
    updatedAt: new Date(action.updatedAt),
    decisions: decisionsOf(history),
    approvedBy: [...action.approvedBy],
    lease: action.status === 'RUNNING' && action.lease !== null ? leaseToProto(action.lease, action.attempt) : undefined,
    attempt: action.attempt,
    maxAttempts: action.maxAttempts,
    result: action.result ?? undefined,
    error: action.error,
    history: history.map(eventToProto),
    idempotencyKey: action.idempotencyKey,
    expiresAt: action.expiresAt === null ? undefined : new Date(action.expiresAt),
    controlState: CONTROL_TO_PROTO[action.control],
    pausedByHalt: action.pausedByHalt,
    approvalsRequired: action.approvalsRequired,
    policyVerdict: verdictToProto(action.policyVerdict),
  };
}
