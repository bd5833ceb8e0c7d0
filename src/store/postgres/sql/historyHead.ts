import { statement, type Queryable } from './Statement.js';

// FOR UPDATE in READ COMMITTED: after waiting for another replica's commit it returns
// the row as that commit left it, so the chain continues from the latest committed event.
const LOCK_HEAD = statement('lock_history_head', 'SELECT sequence, hash FROM history_head WHERE id = 1 FOR UPDATE');

export interface HistoryHead {
  readonly sequence: number;
  readonly hash: string;
}

/** Locks the head of the history until the transaction ends: events are appended one transaction at a time. */
export async function lockHistoryHead(q: Queryable): Promise<HistoryHead> {
  const [head] = await q.run<{ sequence: number; hash: string }>(LOCK_HEAD, []);
  if (head === undefined) throw new Error('history_head has no row: the schema is incomplete');
  return head;
}
