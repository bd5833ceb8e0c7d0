/** How much harm an action can do, in increasing order. */
export type RiskLevel = 'SAFE' | 'GUARDED' | 'DANGEROUS';

export const RISK_LEVELS: readonly RiskLevel[] = ['SAFE', 'GUARDED', 'DANGEROUS'];

export function riskRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** The higher of two levels: a proposer may raise the catalog's level, never lower it. */
export function higherRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return riskRank(a) >= riskRank(b) ? a : b;
}
