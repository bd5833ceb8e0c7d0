-- Webhook notifications waiting to be delivered, written in the transaction of the
-- transition (or HALT) that caused them, so a crash can lose neither. A row is
-- deleted once delivered; what is left is what nobody has heard yet.
CREATE TABLE notification_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Which configured webhook, by a key the server derives from its URL: the URL
  -- itself often holds a secret and is not written to the database.
  target TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- The history event (waiting for approval, terminated, failed) or the HALT signal it announces.
  event_sequence INTEGER REFERENCES action_events (sequence),
  signal_sequence INTEGER REFERENCES control_signals (sequence),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  CHECK ((event_sequence IS NULL) <> (signal_sequence IS NULL))
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at);

