import fc from 'fast-check';
import { stringify } from 'yaml';
import type { NewAction } from '../../src/domain/action.js';
import { ActionCatalog } from '../../src/domain/catalog.js';
import { validateProposal } from '../../src/domain/proposal.js';
import type { RiskLevel } from '../../src/domain/riskLevel.js';

/** The built-in types, plus two DANGEROUS ones and a GUARDED one, as a --catalog file would add them. */
export const CATALOG = new ActionCatalog([
  { type: 'drain_node', risk: 'DANGEROUS', description: 'drain every workload off a node' },
  { type: 'restore_database', risk: 'DANGEROUS', description: 'restore a database from a backup' },
  { type: 'scale_service', risk: 'GUARDED', description: 'change a service replica count' },
]);
export const KNOWN_TYPES = CATALOG.types();
export const DANGEROUS_TYPES = KNOWN_TYPES.filter((type) => CATALOG.entry(type)!.risk === 'DANGEROUS');
/** Names the catalog does not know, some close to ones it does. */
export const UNKNOWN_TYPES = ['delete_everything', 'collect_diagnostic', 'Drain_node', 'rerun_healthcheck ', 'reboot_node'];
export const RISKS: readonly RiskLevel[] = ['SAFE', 'GUARDED', 'DANGEROUS'];
export const NODES = ['web-1', 'web-22', 'db-1', 'edge.eu-1', 'api'];
export const SERVICES = ['web-frontend', 'web-api', 'checkout', 'db-primary', 'billing'];

/** Mostly what an operator would write, now and then something the parser must refuse or a rule must survive. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, wild: fc.Arbitrary<U>): fc.Arbitrary<T | U> =>
  fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: wild, weight: 1 });

const glob = mostly(
  fc.constantFrom('*', '*', '*', '*', 'web-*', 'web-?', '*-1', 'db-*', 'checkout', 'api', 'edge.*'),
  fc.oneof(fc.constantFrom('?', '[a]*', '.*', 'web-+', '(x)', '', '\\', '$'), fc.string({ maxLength: 8 })),
);
const clock = (h: number, m: number): string => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
const hours = mostly(
  fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 59), fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30, 45))
    .map(([h1, m1, h2, m2]) => `${clock(h1, m1)}-${clock(h2, m2)}`),
  fc.constantFrom('24:00-08:00', '8:00-18:00', 'always', '', '08:00-08:00', '00:00-00:00'),
);
const duration = mostly(
  fc.tuple(fc.integer({ min: 1, max: 48 }), fc.constantFrom('s', 'm', 'h', 'd')).map(([n, unit]) => `${n}${unit}`),
  fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom('s', 'm', 'h', 'd')).map(([n, unit]) => `${n}${unit}`),
    fc.integer({ min: -5, max: 100_000_000 }),
    fc.constantFrom('0s', '1.5h', 'forever', '99999999999d', 5_000_000_000),
  ),
);
/** Types a rule may name: SAFE and GUARDED ones, or now and then a DANGEROUS or unknown one. */
const ruleActionType = fc.oneof(
  { arbitrary: fc.constantFrom(...KNOWN_TYPES.filter((type) => CATALOG.entry(type)!.risk !== 'DANGEROUS')), weight: 12 },
  { arbitrary: fc.constantFrom(...DANGEROUS_TYPES, ...UNKNOWN_TYPES), weight: 1 },
);

/** One rule as a policy file spells it: any key may be missing. */
export const ruleDocument = fc.record(
  {
    name: mostly(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/), fc.constantFrom('', 'has space', 'policy:x')),
    action_types: mostly(fc.array(ruleActionType, { minLength: 1, maxLength: 4 }), fc.constant([])),
    // DANGEROUS often: the files that try to reach it are what the property is about.
    risk: fc.oneof(
      { arbitrary: fc.subarray(['SAFE', 'GUARDED'], { minLength: 1 }), weight: 6 },
      { arbitrary: fc.constantFrom(['SAFE', 'DANGEROUS'], ['DANGEROUS'], ['SAFE', 'GUARDED', 'DANGEROUS']), weight: 2 },
      { arbitrary: fc.constantFrom(['safe'], ['CRITICAL'], []), weight: 1 },
    ),
    nodes: fc.array(glob, { minLength: 1, maxLength: 3 }),
    services: fc.array(glob, { minLength: 1, maxLength: 3 }),
    min_confidence: mostly(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.1, 1.5)),
    max_per_hour: mostly(fc.integer({ min: 1, max: 30 }), fc.constantFrom(0, -1, 2.5)),
    hours,
  },
  { requiredKeys: ['name'] },
);

/** A whole policy file as a document (stringify it to YAML). */
export const policyDocument = fc.record(
  {
    mode: mostly(fc.constantFrom('recommend', 'enforce'), fc.constant('shadow')),
    approvals_required: fc.record(
      { SAFE: mostly(fc.integer({ min: 1, max: 3 }), fc.constant(0)), GUARDED: mostly(fc.integer({ min: 1, max: 3 }), fc.constant(0)), DANGEROUS: mostly(fc.integer({ min: 2, max: 4 }), fc.constantFrom(0, 1, 11)) },
      { requiredKeys: [] },
    ),
    pending_ttl: duration,
    approval_ttl: duration,
    rules: fc.uniqueArray(ruleDocument, { minLength: 1, maxLength: 5, selector: (rule) => rule.name }),
  },
  { requiredKeys: ['rules'] },
);

/** Rules that all load, with a rate limit, over every hour of the day: for the rate limit alone. */
export const limitedRules = fc.uniqueArray(
  fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    actionTypes: fc.constant([] as string[]),
    risk: fc.subarray(['SAFE', 'GUARDED'] as RiskLevel[], { minLength: 1 }),
    nodes: fc.constant(['*']),
    services: fc.subarray(['*', 'web-*', 'checkout'], { minLength: 1 }),
    minConfidence: fc.constantFrom(0, 0.3),
    maxPerHour: fc.integer({ min: 1, max: 6 }),
    hours: fc.constant(null),
  }),
  { minLength: 1, maxLength: 3, selector: (rule) => rule.name },
);

export const policyText = policyDocument.map((document) => stringify(document));

const LIMITS = {
  maxPayloadBytes: 65_536,
  maxAttempts: 3,
  defaultPendingTtlSeconds: 3600,
  maxPendingTtlSeconds: 7200,
  approvalsRequired: { SAFE: 1, GUARDED: 1, DANGEROUS: 2 },
};

/**
 * A proposal as the server would hold it. Known types go through validateProposal
 * (so their risk is at least the catalog's); an unknown type, which the server
 * refuses at Propose, is built by hand to see that the policy refuses it too.
 */
export const proposal = fc
  .record({
    actionType: fc.constantFrom(...KNOWN_TYPES, ...UNKNOWN_TYPES),
    node: fc.constantFrom(...NODES),
    service: fc.constantFrom(...SERVICES),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    requestedRisk: fc.option(fc.constantFrom(...RISKS), { nil: null }),
  })
  .map(({ actionType: type, node, service, confidence, requestedRisk }): NewAction => {
    const input = {
      actionType: CATALOG.entry(type) === undefined ? 'collect_diagnostics' : type,
      node,
      service,
      payload: {},
      confidence,
      riskLevel: requestedRisk,
      correlationId: '',
      rollbackReference: '',
      idempotencyKey: '',
      ttlSeconds: 0,
    };
    const action = validateProposal(input, 'deploy-bot', 0, CATALOG, LIMITS);
    return CATALOG.entry(type) === undefined ? { ...action, actionType: type, riskLevel: requestedRisk ?? 'SAFE' } : action;
  });

/** A moment within one day, in ms since the epoch. */
export const moment = fc.integer({ min: Date.UTC(2026, 0, 5), max: Date.UTC(2026, 0, 6) - 1 });
