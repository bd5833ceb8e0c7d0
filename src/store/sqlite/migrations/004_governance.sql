-- Approvals: how many an action needs, and who has given one.
ALTER TABLE actions ADD COLUMN approvals_required INTEGER NOT NULL DEFAULT 1;
ALTER TABLE actions ADD COLUMN approved_by TEXT NOT NULL DEFAULT '[]';
-- The policy's verdict on the proposal, in either mode.
ALTER TABLE actions ADD COLUMN policy_rule TEXT;
ALTER TABLE actions ADD COLUMN policy_would_approve INTEGER;
ALTER TABLE actions ADD COLUMN policy_mode TEXT;
ALTER TABLE actions ADD COLUMN policy_reason TEXT;

-- The rate limit counts the would-approve verdicts per service in the last hour.
CREATE INDEX actions_policy_approvals ON actions (service, created_at) WHERE policy_would_approve = 1;
-- Approved and never claimed: the approval expires unused.
CREATE INDEX actions_approval_expiry ON actions (expires_at) WHERE status = 'APPROVED' AND attempt = 0;

-- Decisions and the hash chain of the history.
ALTER TABLE action_events ADD COLUMN decision TEXT;
ALTER TABLE action_events ADD COLUMN hash TEXT;
ALTER TABLE action_events ADD COLUMN previous_hash TEXT;

DROP TRIGGER action_events_no_update;
UPDATE action_events SET decision = 'APPROVE' WHERE from_status = 'PENDING' AND to_status = 'APPROVED';
UPDATE action_events SET decision = 'REJECT' WHERE from_status = 'PENDING' AND to_status = 'REJECTED';

-- Still append-only: the one change allowed is chaining, once, an event written before the chain existed.
CREATE TRIGGER action_events_no_update BEFORE UPDATE ON action_events
WHEN NOT (
  OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.previous_hash IS NOT NULL
  AND NEW.sequence = OLD.sequence AND NEW.action_id = OLD.action_id AND NEW.from_status IS OLD.from_status
  AND NEW.to_status = OLD.to_status AND NEW.actor = OLD.actor AND NEW.reason = OLD.reason AND NEW.at = OLD.at
  AND NEW.attempt = OLD.attempt AND NEW.decision IS OLD.decision
)
BEGIN
  SELECT RAISE(ABORT, 'action_events is append-only');
END;
