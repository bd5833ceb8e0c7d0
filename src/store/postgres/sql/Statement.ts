import type { QueryResultRow } from 'pg';

/**
 * One hand-written SQL statement. Its name makes pg prepare it once per
 * connection; `writes` tells a transaction that running it changed something.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
  readonly writes: boolean;
}

export function statement(name: string, text: string, { writes = false } = {}): Statement {
  return { name: `actiongate_${name}`, text, writes };
}

/** Where a statement runs: the pool (its own implicit transaction) or a transaction of the group committer. */
export interface Queryable {
  run<R extends QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<R[]>;
}
