-- A full sync pushes through the outbox: its jobs carry {fullSync: <job id>, batch: n} in their payload, and the sync
-- waits for them and reads their outcomes by this index (never by scanning the organization's retained jobs).
CREATE INDEX sync_queue_full_sync ON sync_queue (org_id, (payload ->> 'fullSync'), ((payload ->> 'batch')::int))
    WHERE payload ? 'fullSync';
