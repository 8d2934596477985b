-- Every active full or pull job has an owner that proves it is alive: its runner touches heartbeat_at while it works
-- (Sync:LeaseSeconds is the lease). The job sweeper fails a job whose heartbeat is older than the lease (its runner
-- died: a host killed mid-run, a scheduling that failed after the insert), so sync_jobs_one_active_idx never blocks an
-- organization for good.
ALTER TABLE sync_jobs ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX sync_jobs_active_heartbeat_idx ON sync_jobs (heartbeat_at) WHERE status IN ('queued', 'running');
