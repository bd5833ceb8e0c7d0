-- Webhook notifications waiting to be delivered (the SQLite store's migration 005), written
-- in the transaction of the transition or HALT that caused them, so a crash loses neither.
-- A row is deleted once delivered; what is left is what nobody has heard yet.
CREATE TABLE notification_outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Which configured webhook, by a key the server derives from its URL: the URL itself
  -- often holds a secret and is not written to the database.
  target TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  -- The history event (waiting for approval, terminated, failed) or the HALT signal it announces.
  event_sequence BIGINT REFERENCES action_events (sequence),
  signal_sequence BIGINT REFERENCES control_signals (sequence),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- When the message is next due. A replica that claims it moves this past its delivery
  -- attempt, so no other replica sends it meanwhile; one that dies mid-attempt leaves it
  -- due again once that time passes.
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  CHECK ((event_sequence IS NULL) <> (signal_sequence IS NULL))
);

CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at, id);
