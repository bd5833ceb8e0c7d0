import { ValidationError } from './errors.js';
import { higherRisk, type RiskLevel } from './riskLevel.js';

export interface ActionTypeEntry {
  readonly type: string;
  readonly risk: RiskLevel;
  readonly description: string;
}

export const BUILT_IN_ACTION_TYPES: readonly ActionTypeEntry[] = [
  { type: 'collect_diagnostics', risk: 'SAFE', description: 'collect logs and diagnostics from a node' },
  { type: 'rerun_healthcheck', risk: 'SAFE', description: 'run a service health check again' },
  { type: 'redeploy_service', risk: 'GUARDED', description: 'redeploy a service on a node' },
  { type: 'rerun_deployment_stage', risk: 'GUARDED', description: 'run one deployment stage again' },
];

/** An action type's name: lower_snake_case, at most 63 characters. */
export const ACTION_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** The server-side list of action types and the risk level each one starts at. */
export class ActionCatalog {
  private readonly entries = new Map<string, ActionTypeEntry>();

  constructor(extra: readonly ActionTypeEntry[] = []) {
    for (const entry of [...BUILT_IN_ACTION_TYPES, ...extra]) {
      if (!ACTION_TYPE_PATTERN.test(entry.type)) {
        throw new Error(`action type name "${entry.type}" must be lower_snake_case, at most 63 characters`);
      }
      this.entries.set(entry.type, entry);
    }
  }

  types(): string[] {
    return [...this.entries.keys()].sort();
  }

  entry(type: string): ActionTypeEntry | undefined {
    return this.entries.get(type);
  }

  /** The risk an action of `type` runs at, given what the proposer asked for. */
  resolveRisk(type: string, requested: RiskLevel | null): RiskLevel {
    const entry = this.entries.get(type);
    if (entry === undefined) {
      throw new ValidationError('action_type', `unknown action type "${type}"; known types: ${this.types().join(', ')}`);
    }
    return requested === null ? entry.risk : higherRisk(entry.risk, requested);
  }
}
