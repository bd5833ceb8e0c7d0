import type { Action, JsonObject, NewAction } from './action.js';
import type { ActionCatalog } from './catalog.js';
import { AlreadyExistsError, ValidationError } from './errors.js';
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
  /** Distinct approvals each risk level needs (the policy's approvals_required). */
  approvalsRequired: Readonly<Record<RiskLevel, number>>;
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
    // Every action waits for people unless an enforcing policy rule approves it.
    approvalRequired: true,
    // Set from the policy's verdict once the store has judged the proposal.
    autonomousEligible: false,
    approvalsRequired: limits.approvalsRequired[riskLevel],
    payload: input.payload,
    rollbackReference: limitText('rollback_reference', input.rollbackReference, 1024),
    expiresAt: now + (ttlSeconds === 0 ? limits.defaultPendingTtlSeconds : ttlSeconds) * 1000,
    maxAttempts: limits.maxAttempts,
  };
}

/** Key order aside, the same JSON document. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((key) => sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * A repeated idempotency key replays the original action only when the request is
 * the same one; a different request under a key already used is a mistake the
 * proposer must hear about, not a silent replay of something else.
 */
export function requireSameProposal(original: Action, repeat: NewAction): void {
  const differing = (['actionType', 'node', 'service', 'riskLevel'] as const).filter((field) => original[field] !== repeat[field]);
  if (!sameJson(original.payload, repeat.payload)) differing.push('payload' as never);
  if (differing.length === 0) return;
  throw new AlreadyExistsError(
    `idempotency key "${repeat.idempotencyKey}" was used for action ${original.id}, whose ${differing.join(', ')} differ from this request; use a new key for a new action`,
  );
}
