import type Database from 'better-sqlite3';

/**
 * Rows written straight into a database file, with the columns of migration 001 only
 * (later migrations give theirs defaults): a history as an older build left it, or
 * one too long to make through RPCs.
 */
export interface RawAction {
  readonly id: string;
  readonly status: string;
  readonly at: number;
  readonly version?: number;
  readonly expiresAt?: number | null;
}

export function insertRawAction(db: Database.Database, { id, status, at, version = 1, expiresAt = null }: RawAction): void {
  db.prepare(`INSERT INTO actions (id, version, created_at, updated_at, proposed_by, idempotency_key, correlation_id, node, service,
    action_type, risk_level, confidence, approval_required, autonomous_eligible, status, payload, rollback_reference, expires_at, attempt, max_attempts,
    lease_id, lease_executor, lease_expires_at, lease_ttl_ms, result, error, control)
    VALUES (?, ?, ?, ?, 'deploy-bot', NULL, '', 'web-1', 'api', 'rerun_healthcheck', 'SAFE', 0.9, 1, 0, ?, '{}', '', ?, 0, 3, NULL, NULL, NULL, NULL, NULL, '', 'NONE')`)
    .run(id, version, at, at, status, expiresAt);
}

/** A statement that appends an unchained event: run it with (actionId, from, to, actor, reason, at). */
export function rawEventInsert(db: Database.Database): Database.Statement<[string, string | null, string, string, string, number]> {
  return db.prepare('INSERT INTO action_events (action_id, from_status, to_status, actor, reason, at, attempt) VALUES (?, ?, ?, ?, ?, ?, 0)');
}
