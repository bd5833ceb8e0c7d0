-- actiongate's tables on PostgreSQL: the same data as the SQLite store's migrations 001-004,
-- in PostgreSQL's own types. Times are milliseconds since the epoch, as in the domain.
CREATE TABLE actions (
  -- COLLATE "C": ids are time-ordered UUIDs compared byte by byte, as pages and claims expect.
  id TEXT COLLATE "C" PRIMARY KEY,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  proposed_by TEXT NOT NULL,
  idempotency_key TEXT,
  correlation_id TEXT NOT NULL,
  node TEXT NOT NULL,
  service TEXT NOT NULL,
  action_type TEXT NOT NULL,
  risk_level TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  approval_required BOOLEAN NOT NULL,
  autonomous_eligible BOOLEAN NOT NULL,
  status TEXT NOT NULL,
  -- JSON kept as the text the domain wrote, so a payload reads back exactly as it was sent.
  payload TEXT NOT NULL,
  rollback_reference TEXT NOT NULL,
  expires_at BIGINT,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  lease_id TEXT,
  lease_executor TEXT,
  lease_expires_at BIGINT,
  lease_ttl_ms BIGINT,
  result TEXT,
  error TEXT NOT NULL,
  control TEXT NOT NULL,
  paused_by_halt BOOLEAN NOT NULL,
  control_sequence BIGINT NOT NULL,
  approvals_required INTEGER NOT NULL,
  approved_by TEXT NOT NULL,
  policy_rule TEXT,
  policy_would_approve BOOLEAN,
  policy_mode TEXT,
  policy_reason TEXT
);

CREATE UNIQUE INDEX actions_idempotency ON actions (proposed_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX actions_status ON actions (status, id);
CREATE INDEX actions_running_lease ON actions (lease_expires_at) WHERE status = 'RUNNING';
CREATE INDEX actions_pending_expiry ON actions (expires_at) WHERE status = 'PENDING';
CREATE INDEX actions_approval_expiry ON actions (expires_at) WHERE status = 'APPROVED' AND attempt = 0;
CREATE INDEX actions_lease_executor ON actions (lease_executor, status) WHERE lease_executor IS NOT NULL;
CREATE INDEX actions_paused_by_halt ON actions (id) WHERE paused_by_halt;
CREATE INDEX actions_policy_approvals ON actions (service, created_at) WHERE policy_would_approve;

CREATE TABLE action_events (
  sequence BIGINT PRIMARY KEY,
  action_id TEXT COLLATE "C" NOT NULL REFERENCES actions (id),
  from_status TEXT,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  decision TEXT,
  hash TEXT NOT NULL,
  previous_hash TEXT NOT NULL
);

CREATE INDEX action_events_action ON action_events (action_id, sequence);

-- The head of the history: the last sequence given out and its event's hash. Every
-- transaction that appends events updates this one row, so its row lock orders them:
-- sequence order is commit order, and each chain link is made from the last committed event.
CREATE TABLE history_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  sequence BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO history_head (id, sequence, hash) VALUES (1, 0, repeat('0', 64));

CREATE TABLE control_signals (
  sequence BIGINT PRIMARY KEY,
  action_id TEXT COLLATE "C" REFERENCES actions (id),
  executor_id TEXT,
  signal TEXT NOT NULL,
  reason TEXT NOT NULL,
  issued_by TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  terminate_running BOOLEAN NOT NULL
);

CREATE INDEX control_signals_action ON control_signals (action_id, sequence);

-- The last control sequence given out; the same row lock orders signals by commit.
CREATE TABLE signal_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  sequence BIGINT NOT NULL
);
INSERT INTO signal_head (id, sequence) VALUES (1, 0);

-- The halt every replica reads. Claims, approvals and proposals read it FOR SHARE and
-- Halt and Unhalt change it, so no claim commits after a halt that it did not see.
CREATE TABLE halt_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  halted BOOLEAN NOT NULL,
  terminate_running BOOLEAN NOT NULL,
  signal_sequence BIGINT REFERENCES control_signals (sequence)
);
INSERT INTO halt_state (id, halted, terminate_running, signal_sequence) VALUES (1, FALSE, FALSE, NULL);

CREATE TABLE control_acks (
  executor_id TEXT NOT NULL,
  sequence BIGINT NOT NULL REFERENCES control_signals (sequence),
  acked_at BIGINT NOT NULL,
  PRIMARY KEY (executor_id, sequence)
);

CREATE INDEX control_acks_sequence ON control_acks (sequence);

-- The history and the signals are the audit log: they only grow.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER action_events_append_only BEFORE UPDATE OR DELETE ON action_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER action_events_no_truncate BEFORE TRUNCATE ON action_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER control_signals_append_only BEFORE UPDATE OR DELETE ON control_signals
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER control_signals_no_truncate BEFORE TRUNCATE ON control_signals
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
