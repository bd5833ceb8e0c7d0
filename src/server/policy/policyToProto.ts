import type { Policy } from '../../domain/policy.js';
import type { GetPolicyResponse } from '../../gen/actiongate/v1/action_service.js';
import { riskToProto } from '../protoMapping.js';

export function policyToProto(policy: Policy, loadedAt: number): GetPolicyResponse {
  return {
    mode: policy.mode,
    source: policy.source ?? '',
    approvalsRequiredSafe: policy.approvalsRequired.SAFE,
    approvalsRequiredGuarded: policy.approvalsRequired.GUARDED,
    approvalsRequiredDangerous: policy.approvalsRequired.DANGEROUS,
    pendingTtlSeconds: policy.pendingTtlSeconds,
    approvalTtlSeconds: policy.approvalTtlSeconds,
    rules: policy.rules.map((rule) => ({
      name: rule.name,
      actionTypes: [...rule.actionTypes],
      risk: rule.risk.map(riskToProto),
      nodes: [...rule.nodes],
      services: [...rule.services],
      minConfidence: rule.minConfidence,
      maxPerHour: rule.maxPerHour ?? 0,
      hours: rule.hours?.text ?? '',
    })),
    loadedAt: new Date(loadedAt),
  };
}
