-- Every write adds an outbox row, and every index on sync_queue is paid on that insert (issue 18's write figures).
-- These two are prefixes of sync_queue_entity_seq_idx (org_id, entity_type, entity_id, seq), which serves every query
-- and foreign-key cascade they served.
DROP INDEX sync_queue_org_idx;
DROP INDEX sync_queue_entity_idx;
