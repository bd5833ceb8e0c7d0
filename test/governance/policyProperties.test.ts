import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewAction } from '../../src/domain/action.js';
import { NOT_HALTED } from '../../src/domain/controlSignal.js';
import { checkPolicy, evaluatePolicy, PolicyError, type Policy, type PolicyRule } from '../../src/domain/policy.js';
import { GetPolicyResponse } from '../../src/gen/actiongate/v1/action_service.js';
import { parsePolicy } from '../../src/server/policy/parsePolicy.js';
import { policyToProto } from '../../src/server/policy/policyToProto.js';
import { policyJudge } from '../../src/server/policyJudge.js';
import { ConfigError } from '../../src/shared/ConfigError.js';
import { CATALOG, KNOWN_TYPES, limitedRules, moment, policyText, proposal, RISKS, SERVICES, UNKNOWN_TYPES } from './policyArbitraries.js';

const HOUR_MS = 3600_000;

/** A proposal no policy may approve without people: DANGEROUS, of a DANGEROUS catalog type, or of a type the catalog does not know. */
function needsPeople(action: NewAction): boolean {
  const entry = CATALOG.entry(action.actionType);
  return entry === undefined || entry.risk === 'DANGEROUS' || action.riskLevel === 'DANGEROUS';
}

/** The policy a file makes, or null when the parser refuses it (always with a ConfigError, never anything else). */
function load(text: string): Policy | null {
  try {
    return parsePolicy(text, 'policy.yaml', CATALOG);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`parsePolicy threw ${String(err)} rather than a ConfigError`, { cause: err });
    expect(err.message.startsWith('policy.yaml: ') || err.message.startsWith('policy.yaml is not YAML')).toBe(true);
    return null;
  }
}

describe('no policy that loads gets a DANGEROUS action, or one of an unknown type, approved without people', () => {
  it('over policy files however written, in either mode, at any time, under any count', () => {
    let loaded = 0;
    let approvedSomething = 0;
    fc.assert(
      fc.property(policyText, fc.array(proposal, { minLength: 1, maxLength: 12 }), moment, fc.nat({ max: 40 }), (text, proposals, now, count) => {
        const policy = load(text);
        if (policy === null) return;
        loaded += 1;
        for (const action of proposals) {
          const verdict = evaluatePolicy(policy, action, CATALOG, now, () => count);
          const judgement = policyJudge(policy, CATALOG, now)({ ...action } as never, () => count, NOT_HALTED);
          if (needsPeople(action)) {
            expect(verdict.wouldApprove, JSON.stringify({ action, verdict })).toBe(false);
            expect(judgement.approve).toBeNull();
          } else if (verdict.wouldApprove) {
            approvedSomething += 1;
            // Only a rule can approve, only one whose name the verdict gives, and only a rule of the policy.
            expect(policy.rules.map((r) => r.name)).toContain(verdict.rule);
            expect(judgement.approve === null).toBe(policy.mode !== 'enforce');
          }
        }
      }),
      { numRuns: 3000 },
    );
    // The generators reach both sides: files that load, and proposals they do approve.
    expect(loaded).toBeGreaterThan(300);
    expect(approvedSomething).toBeGreaterThan(20);
  });

  it('a rule that could reach a DANGEROUS action is refused when the file loads, naming the rule', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        fc.oneof(
          fc.constant('risk: [SAFE, DANGEROUS]'),
          fc.constant('risk: [DANGEROUS]'),
          fc.constantFrom('drain_node', 'restore_database').map((type) => `action_types: [collect_diagnostics, ${type}]`),
          fc.constantFrom(...UNKNOWN_TYPES.filter((t) => /^[a-z_]+$/.test(t))).map((type) => `action_types: [${type}]`),
        ),
        (name, clause) => {
          const text = `mode: enforce\nrules:\n  - name: ${name}\n    ${clause}\n`;
          expect(() => parsePolicy(text, 'policy.yaml', CATALOG)).toThrow(ConfigError);
          expect(() => parsePolicy(text, 'policy.yaml', CATALOG)).toThrow(`rule "${name}"`);
        },
      ),
    );
  });

  it('evaluatePolicy refuses them even for a policy object checkPolicy would refuse (defence in depth)', () => {
    const rule = fc.record({
      name: fc.constantFrom('r1', 'r2', 'r3'),
      actionTypes: fc.subarray([...KNOWN_TYPES, ...UNKNOWN_TYPES]),
      risk: fc.subarray([...RISKS], { minLength: 1 }),
      nodes: fc.constant(['*']),
      services: fc.constant(['*']),
      minConfidence: fc.constant(0),
      maxPerHour: fc.constant(null),
      hours: fc.constant(null),
    }) as fc.Arbitrary<PolicyRule>;
    // Any risk on any type, including a DANGEROUS catalog type proposed as SAFE, which validateProposal would never let through.
    const forged = fc.record({ actionType: fc.constantFrom(...KNOWN_TYPES, ...UNKNOWN_TYPES), riskLevel: fc.constantFrom(...RISKS) });
    let refusedByCheck = 0;
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), proposal, forged, (rules, base, { actionType, riskLevel }) => {
        const policy: Policy = { mode: 'enforce', approvalsRequired: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 }, pendingTtlSeconds: 60, approvalTtlSeconds: 60, rules, source: 'forged' };
        try {
          checkPolicy(policy, CATALOG);
        } catch (err) {
          expect(err).toBeInstanceOf(PolicyError);
          refusedByCheck += 1;
        }
        const action = { ...base, actionType, riskLevel };
        if (needsPeople(action)) expect(evaluatePolicy(policy, action, CATALOG, 0, () => 0).wouldApprove, JSON.stringify({ rules, action })).toBe(false);
      }),
      { numRuns: 1000 },
    );
    expect(refusedByCheck).toBeGreaterThan(0);
  });

  it('whatever the file says, the parser answers with a policy or one ConfigError, and a loaded policy can be shown by GetPolicy', () => {
    const anyDocument = fc.oneof(
      policyText,
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((value) => `rules: ${JSON.stringify(value)}\n`),
    );
    fc.assert(
      fc.property(anyDocument, (text) => {
        const policy = load(text);
        if (policy === null) return;
        // Sane TTLs: an approval or a proposal that lapses at birth is a mistake, and GetPolicy carries them as uint32.
        expect(policy.pendingTtlSeconds).toBeGreaterThanOrEqual(1);
        expect(policy.approvalTtlSeconds).toBeGreaterThanOrEqual(1);
        const shown = GetPolicyResponse.decode(GetPolicyResponse.encode(policyToProto(policy, Date.now())).finish());
        expect(shown.pendingTtlSeconds).toBe(policy.pendingTtlSeconds);
        expect(shown.approvalTtlSeconds).toBe(policy.approvalTtlSeconds);
        expect(shown.rules.map((r) => r.name)).toEqual(policy.rules.map((r) => r.name));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the rate limit is never exceeded', () => {
  it('approvals per service per rolling hour stay within the approving rule\'s max_per_hour', () => {
    let limited = 0;
    fc.assert(
      fc.property(
        limitedRules,
        fc.array(fc.tuple(proposal, fc.integer({ min: 0, max: 10 * 60_000 })), { minLength: 1, maxLength: 120 }),
        (rules, steps) => {
          const policy: Policy = { mode: 'enforce', approvalsRequired: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 }, pendingTtlSeconds: 3600, approvalTtlSeconds: 3600, rules, source: 'rate' };
          checkPolicy(policy, CATALOG);
          const approvals: { service: string; at: number }[] = [];
          let now = Date.UTC(2026, 0, 5);
          for (const [action, gap] of steps) {
            now += gap;
            // What the store counts: would-approve verdicts for the service in the hour before now.
            const thisHour = () => approvals.filter((a) => a.service === action.service && a.at > now - HOUR_MS).length;
            const verdict = evaluatePolicy(policy, action, CATALOG, now, thisHour);
            if (verdict.reason.startsWith('rate limit reached')) limited += 1;
            if (!verdict.wouldApprove) continue;
            approvals.push({ service: action.service, at: now });
            const max = policy.rules.find((r) => r.name === verdict.rule)!.maxPerHour;
            if (max !== null) expect(thisHour()).toBeLessThanOrEqual(max);
          }
          // The rolling-hour bound, seen from every approval: no hour holds more than the largest limit of the rules that approved in it.
          const maxOf = Math.max(...policy.rules.map((r) => r.maxPerHour ?? Infinity));
          for (const service of SERVICES) {
            const times = approvals.filter((a) => a.service === service).map((a) => a.at);
            for (const t of times) expect(times.filter((u) => u > t - HOUR_MS && u <= t).length).toBeLessThanOrEqual(maxOf);
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(limited).toBeGreaterThan(0);
  });
});
