import type { ActionTypeEntry } from '../domain/catalog.js';
import { RISK_LEVELS, type RiskLevel } from '../domain/riskLevel.js';
import { ConfigError } from '../shared/ConfigError.js';

/** A catalog file: a JSON array of `{ "type", "risk": "SAFE" | "GUARDED" | "DANGEROUS", "description"? }`. */
export function parseCatalog(text: string, source: string): ActionTypeEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not JSON`, { cause: err });
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${source} must hold a JSON array of action types`);
  return parsed.map((item: unknown, index) => {
    const entry = item as Partial<Record<string, unknown>>;
    if (typeof entry?.type !== 'string' || !RISK_LEVELS.includes(entry.risk as RiskLevel)) {
      throw new ConfigError(`${source}[${index}] needs "type" and "risk" (one of ${RISK_LEVELS.join(', ')})`);
    }
    return { type: entry.type, risk: entry.risk as RiskLevel, description: typeof entry.description === 'string' ? entry.description : '' };
  });
}
