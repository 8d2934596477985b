-- Every outbox job's insert and both of its status changes (processing, completed) wrote an entry into this index, and
-- no query reads it: the sweeper's overdue scan uses sync_queue_open_idx (open jobs only), the purge sync_queue_done_idx,
-- and every per-organization query leads with org_id (plans checked on the benchmark's database, issue 18).
DROP INDEX sync_queue_status_idx;
