ALTER TABLE actions ADD COLUMN paused_by_halt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE actions ADD COLUMN control_sequence INTEGER NOT NULL DEFAULT 0;

CREATE INDEX actions_lease_executor ON actions (lease_executor, status);
CREATE INDEX actions_paused_by_halt ON actions (id) WHERE paused_by_halt = 1;

CREATE TABLE control_signals (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  action_id TEXT REFERENCES actions (id),
  executor_id TEXT,
  signal TEXT NOT NULL,
  reason TEXT NOT NULL,
  issued_by TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  terminate_running INTEGER NOT NULL
);

CREATE INDEX control_signals_action ON control_signals (action_id, sequence);
CREATE INDEX control_signals_global ON control_signals (sequence) WHERE action_id IS NULL;

CREATE TABLE control_acks (
  executor_id TEXT NOT NULL,
  sequence INTEGER NOT NULL REFERENCES control_signals (sequence),
  acked_at INTEGER NOT NULL,
  PRIMARY KEY (executor_id, sequence)
) WITHOUT ROWID;

CREATE INDEX control_acks_sequence ON control_acks (sequence);

CREATE TRIGGER control_signals_no_update BEFORE UPDATE ON control_signals
BEGIN
  SELECT RAISE(ABORT, 'control_signals is append-only');
END;

CREATE TRIGGER control_signals_no_delete BEFORE DELETE ON control_signals
BEGIN
  SELECT RAISE(ABORT, 'control_signals is append-only');
END;
