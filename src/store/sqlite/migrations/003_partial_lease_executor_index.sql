-- Only leased actions are ever looked up by executor; indexing the rest cost
-- every Propose one more index write.
DROP INDEX actions_lease_executor;
CREATE INDEX actions_lease_executor ON actions (lease_executor, status) WHERE lease_executor IS NOT NULL;
