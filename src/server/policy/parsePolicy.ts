import { parse } from 'yaml';
import { z } from 'zod';
import type { ActionCatalog } from '../../domain/catalog.js';
import { checkPolicy, DEFAULT_POLICY, PolicyError, type HoursWindow, type Policy, type PolicyRule } from '../../domain/policy.js';
import { RISK_LEVELS, type RiskLevel } from '../../domain/riskLevel.js';
import { ConfigError } from '../../shared/ConfigError.js';

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** Longer than any sane wait for a decision or a claim, and within GetPolicy's uint32 seconds. */
const MAX_DURATION_SECONDS = 365 * 86_400;

// At least a second: a TTL of 0 would expire every proposal or approval the moment it is made.
const duration = z
  .union([z.number().int().positive(), z.string().regex(DURATION, 'must be a duration like 90s, 30m, 24h or 7d')])
  .transform((value) => (typeof value === 'number' ? value : Number(DURATION.exec(value)![1]) * UNIT_SECONDS[DURATION.exec(value)![2] as keyof typeof UNIT_SECONDS]))
  .pipe(z.number().min(1, 'must be at least 1s').max(MAX_DURATION_SECONDS, 'must be at most 365d'));

const RULE = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1 to 64 letters, digits, ".", "_" or "-"'),
  // Left out, a rule covers every type of its risk; an empty list would read as "none" and is refused as ambiguous.
  action_types: z.array(z.string().min(1)).min(1).optional(),
  risk: z.array(z.enum(RISK_LEVELS as [RiskLevel, ...RiskLevel[]])).min(1).optional(),
  nodes: z.array(z.string().min(1)).min(1).optional(),
  services: z.array(z.string().min(1)).min(1).optional(),
  min_confidence: z.number().min(0).max(1).optional(),
  max_per_hour: z.number().int().positive().optional(),
  hours: z
    .string()
    .regex(HOURS, 'must be "HH:MM-HH:MM" in UTC')
    .refine((text) => text.slice(0, 5) !== text.slice(6), 'must start and end at different times (leave it out for any time of day)')
    .optional(),
});

const FILE = z.strictObject({
  mode: z.enum(['recommend', 'enforce']).optional(),
  approvals_required: z.strictObject({ SAFE: z.number().int().min(1).max(10), GUARDED: z.number().int().min(1).max(10), DANGEROUS: z.number().int().min(1).max(10) }).partial().optional(),
  pending_ttl: duration.optional(),
  approval_ttl: duration.optional(),
  rules: z.array(RULE).optional(),
});

function hoursWindow(text: string): HoursWindow {
  const [, h1, m1, h2, m2] = HOURS.exec(text)!;
  return { startMinute: Number(h1) * 60 + Number(m1), endMinute: Number(h2) * 60 + Number(m2), text };
}

/**
 * A policy file, checked twice: its shape (zod), and its meaning against the
 * catalog (no rule may reach a DANGEROUS or unknown action type). Every mistake
 * is a ConfigError naming the rule or the key.
 */
export function parsePolicy(text: string, source: string, catalog: ActionCatalog, defaults: Policy = DEFAULT_POLICY): Policy {
  let document: unknown;
  try {
    // Warnings (an unknown tag or directive) would go to the process's stderr, outside the log; the checks below judge the result.
    document = parse(text, { logLevel: 'error' });
  } catch (err) {
    throw new ConfigError(`${source} is not YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  const parsed = FILE.safeParse(document ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const rules = (document as { rules?: { name?: unknown }[] } | null)?.rules;
    const index = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : null;
    const ruleName = index !== null && typeof rules?.[index]?.name === 'string' ? ` (rule "${rules[index]!.name}")` : '';
    throw new ConfigError(`${source}: ${issue.path.join('.') || 'the file'}${ruleName} ${issue.message}`);
  }
  const file = parsed.data;
  const names = new Set<string>();
  const rules: PolicyRule[] = (file.rules ?? []).map((rule) => {
    if (names.has(rule.name)) throw new ConfigError(`${source}: rule "${rule.name}" is named twice`);
    names.add(rule.name);
    return {
      name: rule.name,
      actionTypes: rule.action_types ?? [],
      risk: rule.risk ?? ['SAFE'],
      nodes: rule.nodes ?? ['*'],
      services: rule.services ?? ['*'],
      minConfidence: rule.min_confidence ?? 0,
      maxPerHour: rule.max_per_hour ?? null,
      hours: rule.hours === undefined ? null : hoursWindow(rule.hours),
    };
  });
  const policy: Policy = {
    mode: file.mode ?? defaults.mode,
    approvalsRequired: { ...defaults.approvalsRequired, ...file.approvals_required },
    pendingTtlSeconds: file.pending_ttl ?? defaults.pendingTtlSeconds,
    approvalTtlSeconds: file.approval_ttl ?? defaults.approvalTtlSeconds,
    rules,
    source,
  };
  try {
    checkPolicy(policy, catalog);
  } catch (err) {
    if (err instanceof PolicyError) throw new ConfigError(`${source}: ${err.message}`, { cause: err });
    throw err;
  }
  return policy;
}
