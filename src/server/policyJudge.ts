import type { ActionCatalog } from '../domain/catalog.js';
import * as lifecycle from '../domain/lifecycle.js';
import { evaluatePolicy, POLICY_ACTOR_PREFIX, type Policy } from '../domain/policy.js';
import type { Judge } from '../store/ActionStore.js';

/**
 * How a new proposal is judged under `policy`. In enforce mode a matching rule
 * approves it as `policy:<rule>`, in the proposal's own transaction; in
 * recommend mode the verdict is only recorded. A halt holds approvals, the
 * policy's too.
 */
export function policyJudge(policy: Policy, catalog: ActionCatalog, now: number): Judge {
  return (action, approvalsThisHour, halt) => {
    const verdict = evaluatePolicy(policy, action, catalog, now, approvalsThisHour);
    if (!verdict.wouldApprove) return { verdict, approve: null };
    if (halt.halted) return { verdict: { ...verdict, wouldApprove: false, reason: 'actiongate is halted: approvals wait for Unhalt' }, approve: null };
    if (policy.mode !== 'enforce') return { verdict, approve: null };
    const approver = { actor: `${POLICY_ACTOR_PREFIX}${verdict.rule}`, identified: true };
    return {
      verdict,
      approve: (current, at, haltNow) => lifecycle.approve(current, approver, `auto-approved by policy rule ${verdict.rule}`, haltNow, at, policy.approvalTtlSeconds * 1000),
    };
  };
}
