import type { NewAction, PolicyVerdict } from './action.js';
import type { ActionCatalog } from './catalog.js';
import { globMatches } from './globMatches.js';
import { higherRisk, riskRank, type RiskLevel } from './riskLevel.js';

export type PolicyMode = 'recommend' | 'enforce';

/** A window of the day in UTC, in minutes since midnight; it wraps past midnight when start > end. */
export interface HoursWindow {
  readonly startMinute: number;
  readonly endMinute: number;
  readonly text: string;
}

export interface PolicyRule {
  readonly name: string;
  /** Action types the rule covers; empty covers every type the catalog knows. */
  readonly actionTypes: readonly string[];
  readonly risk: readonly RiskLevel[];
  /** Glob patterns (`*`, `?`). */
  readonly nodes: readonly string[];
  readonly services: readonly string[];
  readonly minConfidence: number;
  /** Auto-approvals per service per rolling hour; null for no limit. */
  readonly maxPerHour: number | null;
  readonly hours: HoursWindow | null;
}

export interface Policy {
  readonly mode: PolicyMode;
  readonly approvalsRequired: Readonly<Record<RiskLevel, number>>;
  readonly pendingTtlSeconds: number;
  readonly approvalTtlSeconds: number;
  readonly rules: readonly PolicyRule[];
  /** Where it was loaded from; null for the built-in default. */
  readonly source: string | null;
}

/** Recommendation-only: every action waits for people; DANGEROUS for two of them. */
export const DEFAULT_POLICY: Policy = {
  mode: 'recommend',
  approvalsRequired: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 },
  pendingTtlSeconds: 24 * 3600,
  approvalTtlSeconds: 3600,
  rules: [],
  source: null,
};

/** The prefix of the actor a policy approval is recorded under: `policy:<rule>`. */
export const POLICY_ACTOR_PREFIX = 'policy:';

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/**
 * Refuses a policy that could let a DANGEROUS action, or one of a type the
 * catalog does not know, through without people, naming the rule; and one
 * whose approval counts would give up four eyes on DANGEROUS actions.
 */
export function checkPolicy(policy: Policy, catalog: ActionCatalog): void {
  const { SAFE, GUARDED, DANGEROUS } = policy.approvalsRequired;
  if (SAFE < 1 || GUARDED < 1) throw new PolicyError('approvals_required: SAFE and GUARDED need at least 1 approval');
  if (DANGEROUS < 2) throw new PolicyError(`approvals_required: DANGEROUS needs at least 2 distinct approvers (four eyes), got ${DANGEROUS}`);
  for (const rule of policy.rules) {
    if (rule.risk.includes('DANGEROUS')) throw new PolicyError(`rule "${rule.name}" lists DANGEROUS: dangerous actions always need people; remove it from the rule's risk`);
    for (const type of rule.actionTypes) {
      const entry = catalog.entry(type);
      if (entry === undefined) throw new PolicyError(`rule "${rule.name}" names action type "${type}", which the catalog does not know`);
      if (entry.risk === 'DANGEROUS') throw new PolicyError(`rule "${rule.name}" names action type "${type}", which is DANGEROUS in the catalog: dangerous actions always need people`);
    }
  }
}

function matchesAny(value: string, globs: readonly string[]): boolean {
  return globs.some((glob) => globMatches(glob, value));
}

function withinHours(hours: HoursWindow, now: number): boolean {
  const date = new Date(now);
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  return hours.startMinute <= hours.endMinute
    ? minute >= hours.startMinute && minute < hours.endMinute
    : minute >= hours.startMinute || minute < hours.endMinute;
}

/** Whether the rule's scope (type, risk, node, service) covers the proposal at all. */
function covers(rule: PolicyRule, action: NewAction, risk: RiskLevel): boolean {
  return (
    (rule.actionTypes.length === 0 || rule.actionTypes.includes(action.actionType)) &&
    rule.risk.includes(risk) &&
    matchesAny(action.node, rule.nodes) &&
    matchesAny(action.service, rule.services)
  );
}

/** The first reason a covering rule does not approve, or null when it does. */
function shortfall(rule: PolicyRule, action: NewAction, now: number, approvalsThisHour: () => number): string | null {
  if (action.confidence < rule.minConfidence) return `confidence ${action.confidence} below ${rule.minConfidence}`;
  if (rule.hours !== null && !withinHours(rule.hours, now)) return `outside hours ${rule.hours.text} UTC`;
  if (rule.maxPerHour !== null && approvalsThisHour() >= rule.maxPerHour) {
    return `rate limit reached: ${rule.maxPerHour} auto-approvals for service ${action.service} in the last hour`;
  }
  return null;
}

/**
 * What the policy makes of a proposal. Whatever the rules say, a DANGEROUS action
 * or one of a type the catalog does not know is never approved without people.
 * `approvalsThisHour` counts the would-approve verdicts for the proposal's service
 * in the last hour; it is asked only when a rule with a limit gets that far.
 */
export function evaluatePolicy(policy: Policy, action: NewAction, catalog: ActionCatalog, now: number, approvalsThisHour: () => number): PolicyVerdict {
  const verdict = (rule: string, wouldApprove: boolean, reason: string): PolicyVerdict => ({ rule, wouldApprove, mode: policy.mode, reason });
  const entry = catalog.entry(action.actionType);
  if (entry === undefined) return verdict('', false, `action type ${action.actionType} is not in the catalog`);
  // The catalog's risk counts whatever the action says: a type the catalog calls DANGEROUS is never judged as less.
  const risk = higherRisk(entry.risk, action.riskLevel);
  if (riskRank(risk) >= riskRank('DANGEROUS')) return verdict('', false, 'DANGEROUS actions always need people');
  let firstCovering: { rule: PolicyRule; reason: string } | null = null;
  for (const rule of policy.rules) {
    if (!covers(rule, action, risk)) continue;
    const reason = shortfall(rule, action, now, approvalsThisHour);
    if (reason === null) return verdict(rule.name, true, `matches rule ${rule.name}`);
    firstCovering ??= { rule, reason };
  }
  if (firstCovering !== null) return verdict(firstCovering.rule.name, false, firstCovering.reason);
  return verdict('', false, `no rule covers ${action.actionType} (${action.riskLevel}) on ${action.node}/${action.service}`);
}
