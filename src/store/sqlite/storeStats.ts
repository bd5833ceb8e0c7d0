import { ACTION_STATUSES, type ActionStatus } from '../../domain/actionStatus.js';
import type { StoreStats } from '../ActionStore.js';
import type { SqliteTables } from './SqliteTables.js';

/**
 * The /metrics figures, each from an index: the counts by status walk
 * actions_status (status, id) without touching a row; the oldest pending
 * action is the first PENDING entry of the same index, UUIDv7 ids being in
 * creation order; the outbox holds only undelivered messages.
 */
export function storeStats(tables: SqliteTables): StoreStats {
  const actionsByStatus = Object.fromEntries(ACTION_STATUSES.map((s) => [s, 0])) as Record<ActionStatus, number>;
  const counts = tables.statement('SELECT status, COUNT(*) AS n FROM actions INDEXED BY actions_status GROUP BY status').all() as { status: ActionStatus; n: number }[];
  for (const { status, n } of counts) actionsByStatus[status] = n;
  const oldestPendingCreatedAt = tables
    .statement("SELECT created_at FROM actions INDEXED BY actions_status WHERE status = 'PENDING' ORDER BY id LIMIT 1")
    .pluck()
    .get() as number | undefined;
  const undeliveredNotifications = tables.statement('SELECT COUNT(*) FROM notification_outbox').pluck().get() as number;
  return { actionsByStatus, halted: tables.haltState().halted, oldestPendingCreatedAt: oldestPendingCreatedAt ?? null, undeliveredNotifications };
}
