import { ACTION_STATUSES, type ActionStatus } from '../../../domain/actionStatus.js';
import type { StoreStats } from '../../ActionStore.js';
import { statement, type Queryable } from './Statement.js';

/*
 * One round trip for the /metrics figures. The counts by status can be an index-only
 * scan of actions_status; the oldest pending action is the first PENDING entry of the
 * same index, UUIDv7 ids being in creation order; the outbox holds only undelivered messages.
 */
const STATS = statement(
  'store_stats',
  `SELECT
     (SELECT COALESCE(json_object_agg(status, n), '{}'::json) FROM (SELECT status, COUNT(*) AS n FROM actions GROUP BY status) c) AS by_status,
     (SELECT created_at FROM actions WHERE status = 'PENDING' ORDER BY id LIMIT 1) AS oldest_pending,
     (SELECT COUNT(*) FROM notification_outbox) AS undelivered,
     (SELECT halted FROM halt_state WHERE id = 1) AS halted`,
);

interface StatsRow {
  by_status: Record<string, number>;
  oldest_pending: number | null;
  undelivered: number;
  halted: boolean | null;
}

export async function storeStats(q: Queryable): Promise<StoreStats> {
  const [row] = await q.run<StatsRow>(STATS, []);
  if (row === undefined) throw new Error('the stats query returned no row');
  const actionsByStatus = Object.fromEntries(ACTION_STATUSES.map((s) => [s, row.by_status[s] ?? 0])) as Record<ActionStatus, number>;
  return { actionsByStatus, halted: row.halted === true, oldestPendingCreatedAt: row.oldest_pending, undeliveredNotifications: row.undelivered };
}
