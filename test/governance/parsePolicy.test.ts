import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/domain/policy.js';
import { parsePolicy } from '../../src/server/policy/parsePolicy.js';
import { ConfigError } from '../../src/shared/ConfigError.js';
import { CATALOG } from './policyArbitraries.js';

/** The example of the policy file's documentation, as written there. */
export const DOCUMENTED_POLICY = `mode: recommend            # recommend (default): rules are evaluated and recorded, nothing is approved
                           # enforce: a matching rule approves the action
approvals_required: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 }
pending_ttl: 24h
approval_ttl: 1h
rules:
  - name: diagnostics
    action_types: [collect_diagnostics, rerun_healthcheck]
    risk: [SAFE]
    nodes: ["*"]            # glob patterns; default ["*"]
    services: ["web-*"]
    min_confidence: 0.8
    max_per_hour: 20        # auto-approvals per service per rolling hour; further ones wait for people
    hours: "08:00-18:00"    # optional, UTC
`;

const parse = (text: string) => parsePolicy(text, 'policy.yaml', CATALOG);
const refusal = (text: string): string => {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`the policy was accepted:\n${text}`);
};

describe('parsePolicy', () => {
  it('reads the documented example, every key of it', () => {
    const policy = parse(DOCUMENTED_POLICY);
    expect(policy).toEqual({
      mode: 'recommend',
      approvalsRequired: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 },
      pendingTtlSeconds: 86_400,
      approvalTtlSeconds: 3600,
      rules: [
        {
          name: 'diagnostics',
          actionTypes: ['collect_diagnostics', 'rerun_healthcheck'],
          risk: ['SAFE'],
          nodes: ['*'],
          services: ['web-*'],
          minConfidence: 0.8,
          maxPerHour: 20,
          hours: { startMinute: 480, endMinute: 1080, text: '08:00-18:00' },
        },
      ],
      source: 'policy.yaml',
    });
  });

  it('an empty file is the built-in default: recommend, no rules', () => {
    expect(parse('')).toEqual({ ...DEFAULT_POLICY, source: 'policy.yaml' });
  });

  it('takes durations in s, m, h and d, and plain seconds', () => {
    expect(parse('pending_ttl: 90s\napproval_ttl: 30m').pendingTtlSeconds).toBe(90);
    expect(parse('pending_ttl: 90s\napproval_ttl: 30m').approvalTtlSeconds).toBe(1800);
    expect(parse('pending_ttl: 7d').pendingTtlSeconds).toBe(7 * 86_400);
    expect(parse('approval_ttl: 1s').approvalTtlSeconds).toBe(1);
    expect(parse('approval_ttl: 45').approvalTtlSeconds).toBe(45);
  });

  it('refuses, naming the key, a TTL that would expire everything at once or one beyond a year', () => {
    expect(refusal('approval_ttl: 0s')).toBe('policy.yaml: approval_ttl must be at least 1s');
    expect(refusal('pending_ttl: 0m')).toBe('policy.yaml: pending_ttl must be at least 1s');
    expect(refusal('pending_ttl: 366d')).toBe('policy.yaml: pending_ttl must be at most 365d');
    expect(refusal('approval_ttl: 99999999999d')).toBe('policy.yaml: approval_ttl must be at most 365d');
    expect(refusal('approval_ttl: 1.5h')).toContain('approval_ttl');
  });

  it('refuses an hours window that is empty, and an empty action_types list, naming the rule', () => {
    expect(refusal('rules:\n  - name: night\n    hours: "22:00-22:00"')).toContain('rules.0.hours (rule "night") must start and end at different times');
    expect(refusal('rules:\n  - name: none\n    action_types: []')).toContain('rules.0.action_types (rule "none")');
  });

  it('refuses a rule that reaches DANGEROUS, an unknown type, a rule named twice, and four eyes given up', () => {
    expect(refusal('rules:\n  - name: all\n    risk: [SAFE, DANGEROUS]')).toContain('rule "all" lists DANGEROUS');
    expect(refusal('rules:\n  - name: drain\n    action_types: [drain_node]')).toContain('rule "drain" names action type "drain_node", which is DANGEROUS in the catalog');
    expect(refusal('rules:\n  - name: typo\n    action_types: [colect_diagnostics]')).toContain('which the catalog does not know');
    expect(refusal('rules:\n  - name: a\n  - name: a')).toContain('rule "a" is named twice');
    expect(refusal('approvals_required: { DANGEROUS: 1 }')).toContain('four eyes');
    expect(refusal('mode: shadow')).toContain('mode');
    expect(refusal('rules:\n  - name: a\n    unknown_key: 1')).toContain('rules.0');
  });

  it('writes no warning of its own to the process for odd YAML; it judges the result instead', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      expect(refusal('mode: !odd-tag sometimes')).toContain('policy.yaml: mode');
      expect(refusal('%ODD directive\n---\nmode: x')).toContain('policy.yaml');
      // process.emitWarning reports on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});
