CREATE TABLE actions (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  proposed_by TEXT NOT NULL,
  idempotency_key TEXT,
  correlation_id TEXT NOT NULL,
  node TEXT NOT NULL,
  service TEXT NOT NULL,
  action_type TEXT NOT NULL,
  risk_level TEXT NOT NULL,
  confidence REAL NOT NULL,
  approval_required INTEGER NOT NULL,
  autonomous_eligible INTEGER NOT NULL,
  status TEXT NOT NULL,
  payload TEXT NOT NULL,
  rollback_reference TEXT NOT NULL,
  expires_at INTEGER,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  lease_id TEXT,
  lease_executor TEXT,
  lease_expires_at INTEGER,
  lease_ttl_ms INTEGER,
  result TEXT,
  error TEXT NOT NULL,
  control TEXT NOT NULL
) WITHOUT ROWID;

CREATE UNIQUE INDEX actions_idempotency ON actions (proposed_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX actions_status ON actions (status, id);
CREATE INDEX actions_running_lease ON actions (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX actions_pending_expiry ON actions (expires_at) WHERE status = 'PENDING';

CREATE TABLE action_events (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  action_id TEXT NOT NULL REFERENCES actions (id),
  from_status TEXT,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL,
  attempt INTEGER NOT NULL
);

CREATE INDEX action_events_action ON action_events (action_id, sequence);

-- The history is the audit log: it only grows.
CREATE TRIGGER action_events_no_update BEFORE UPDATE ON action_events
BEGIN
  SELECT RAISE(ABORT, 'action_events is append-only');
END;

CREATE TRIGGER action_events_no_delete BEFORE DELETE ON action_events
BEGIN
  SELECT RAISE(ABORT, 'action_events is append-only');
END;
