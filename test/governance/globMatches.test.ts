import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches } from '../../src/domain/globMatches.js';
import { evaluatePolicy, type Policy } from '../../src/domain/policy.js';
import { CATALOG, proposal } from './policyArbitraries.js';

/** What a glob means, said the short way: a regular expression (fine for short test strings, exponential on long ones). */
function reference(glob: string, value: string): boolean {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^]*').replace(/\?/g, '[^]');
  return new RegExp(`^${escaped}$`).test(value);
}

describe('globMatches', () => {
  it('matches as * and ? mean, everything else literally', () => {
    expect(globMatches('web-*', 'web-1')).toBe(true);
    expect(globMatches('web-*', 'web-')).toBe(true);
    expect(globMatches('web-*', 'api-web-1')).toBe(false);
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('?', '')).toBe(false);
    expect(globMatches('web-?', 'web-22')).toBe(false);
    expect(globMatches('edge.*', 'edgeXeu')).toBe(false);
    expect(globMatches('[a]*', 'a1')).toBe(false);
    expect(globMatches('[a]*', '[a]1')).toBe(true);
    expect(globMatches('*-1', 'db-1')).toBe(true);
    expect(globMatches('a*b*c', 'aXbYbZc')).toBe(true);
    expect(globMatches('a*b*c', 'aXbYbZ')).toBe(false);
  });

  it('agrees with the regular expression the glob stands for (property)', () => {
    const text = (chars: string[], maxLength: number) => fc.array(fc.constantFrom(...chars), { maxLength }).map((c) => c.join(''));
    fc.assert(
      fc.property(text(['a', 'b', '-', '.', '*', '?', '[', '\\'], 8), text(['a', 'b', '-', '.', '*', '?', '[', '\\', '\n'], 12), (glob, value) => {
        expect(globMatches(glob, value), JSON.stringify({ glob, value })).toBe(reference(glob, value));
      }),
      { numRuns: 5000 },
    );
  });

  it('a pattern of many stars against a long name an agent chose is answered, not backtracked for ever', () => {
    const stars = '*-*-*-*-*-*-*-*x';
    const node = '-'.repeat(250);
    expect(globMatches(stars, node)).toBe(false);
    expect(globMatches(stars, `${node}x`)).toBe(true);
    // The same through the policy: a rule with that node pattern judges such a proposal like any other.
    const policy: Policy = {
      mode: 'enforce',
      approvalsRequired: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 },
      pendingTtlSeconds: 60,
      approvalTtlSeconds: 60,
      rules: [{ name: 'stars', actionTypes: [], risk: ['SAFE'], nodes: [stars], services: [stars], minConfidence: 0, maxPerHour: null, hours: null }],
      source: 'test',
    };
    const base = fc.sample(proposal.filter((p) => p.actionType === 'collect_diagnostics' && p.riskLevel === 'SAFE'), 1)[0]!;
    expect(evaluatePolicy(policy, { ...base, node, service: node }, CATALOG, 0, () => 0)).toMatchObject({ wouldApprove: false, rule: '' });
    expect(evaluatePolicy(policy, { ...base, node: `${node}x`, service: `${node}x` }, CATALOG, 0, () => 0)).toMatchObject({ wouldApprove: true, rule: 'stars' });
  });
});
