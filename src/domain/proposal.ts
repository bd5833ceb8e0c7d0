import type { JsonObject, NewAction } from './action.js';
import type { ActionCatalog } from './catalog.js';
import { ValidationError } from './errors.js';
import type { RiskLevel } from './riskLevel.js';
import { limitText, requireIntactIdentifier, requireIntInRange, requireJsonWithin, requireText } from './validation.js';

export interface ProposalInput {
  actionType: string;
  node: string;
  service: string;
  payload: JsonObject;
  confidence: number;
  /** null when the proposer left it to the catalog. */
  riskLevel: RiskLevel | null;
  correlationId: string;
  rollbackReference: string;
  idempotencyKey: string;
  ttlSeconds: number;
}

export interface ProposalLimits {
  maxPayloadBytes: number;
  maxAttempts: number;
  defaultPendingTtlSeconds: number;
  maxPendingTtlSeconds: number;
}

/** Checks a proposal and turns it into a new action; throws ValidationError naming the field. */
export function validateProposal(
  input: ProposalInput,
  proposedBy: string,
  now: number,
  catalog: ActionCatalog,
  limits: ProposalLimits,
): NewAction {
  const actionType = requireIntactIdentifier('action_type', requireText('action_type', input.actionType, 63));
  const node = requireIntactIdentifier('node', requireText('node', input.node));
  const service = requireIntactIdentifier('service', requireText('service', input.service));
  if (!Number.isFinite(input.confidence) || input.confidence < 0 || input.confidence > 1) {
    throw new ValidationError('confidence', `must be between 0 and 1, got ${input.confidence}`);
  }
  requireJsonWithin('payload', input.payload, limits.maxPayloadBytes);
  const ttlSeconds = requireIntInRange('ttl_seconds', input.ttlSeconds, 0, limits.maxPendingTtlSeconds);
  const riskLevel = catalog.resolveRisk(actionType, input.riskLevel);
  return {
    proposedBy,
    idempotencyKey: requireIntactIdentifier('idempotency_key', limitText('idempotency_key', input.idempotencyKey)),
    correlationId: requireIntactIdentifier('correlation_id', limitText('correlation_id', input.correlationId)),
    node,
    service,
    actionType,
    riskLevel,
    confidence: input.confidence,
    // Recommendation-only mode: every action waits for a person until a policy says otherwise.
    approvalRequired: true,
    autonomousEligible: riskLevel === 'SAFE',
    payload: input.payload,
    rollbackReference: limitText('rollback_reference', input.rollbackReference, 1024),
    expiresAt: now + (ttlSeconds === 0 ? limits.defaultPendingTtlSeconds : ttlSeconds) * 1000,
    maxAttempts: limits.maxAttempts,
  };
}
