import type { ActionFilter, ClaimFilter } from '../ActionStore.js';

export interface SqlCondition {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * `column IN (values)` as one statement shape whatever the number of values (a JSON array
 * parameter): a placeholder per value would compile and cache a new statement per length.
 */
function inList(column: string, values: readonly string[]): SqlCondition {
  return { sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] };
}

/** WHERE conditions for a list or watch filter over `actions` aliased as `a`; `statusColumn` is what statuses match. */
export function actionFilterConditions(filter: ActionFilter, statusColumn: string): SqlCondition[] {
  const conditions: SqlCondition[] = [];
  if (filter.statuses !== undefined && filter.statuses.length > 0) conditions.push(inList(statusColumn, filter.statuses));
  if (filter.node) conditions.push({ sql: 'a.node = ?', params: [filter.node] });
  if (filter.service) conditions.push({ sql: 'a.service = ?', params: [filter.service] });
  if (filter.actionType) conditions.push({ sql: 'a.action_type = ?', params: [filter.actionType] });
  return conditions;
}

export function claimFilterConditions(filter: ClaimFilter): SqlCondition[] {
  const conditions: SqlCondition[] = [];
  if (filter.actionTypes.length > 0) conditions.push(inList('a.action_type', filter.actionTypes));
  if (filter.nodes.length > 0) conditions.push(inList('a.node', filter.nodes));
  return conditions;
}

export function whereClause(conditions: readonly SqlCondition[]): SqlCondition {
  if (conditions.length === 0) return { sql: '', params: [] };
  return { sql: `WHERE ${conditions.map((c) => c.sql).join(' AND ')}`, params: conditions.flatMap((c) => c.params) };
}
