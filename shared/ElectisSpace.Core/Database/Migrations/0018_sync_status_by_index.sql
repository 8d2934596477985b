-- GET /api/sync/status (which clients poll) counted every outbox row of the organization, the Sync:RetentionDays of
-- completed jobs included, to find its open and failed counts and its last push. These two partial indexes let it read
-- only the rows it reports: open jobs (sync_queue_open_idx), failed and dead ones (here) and the newest completed one.
-- Finished jobs by organization: the last push is one index probe; the purge goes organization by organization.
DROP INDEX sync_queue_done_idx;
CREATE INDEX sync_queue_done_idx ON sync_queue (org_id, processed_at) WHERE status IN ('completed', 'failed');
-- Failed and dead jobs by organization (the dead-letter list reads the dead ones).
DROP INDEX sync_queue_dead_idx;
CREATE INDEX sync_queue_problem_idx ON sync_queue (org_id, processed_at DESC) WHERE status IN ('failed', 'dead');
