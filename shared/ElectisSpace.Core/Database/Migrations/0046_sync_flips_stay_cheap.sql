-- Every change of a space flips its sync_status twice (pending on the write, synced when the push lands), and
-- spaces_org_sync_idx made each flip a non-HOT update: a new entry in every index of the table, the trigram GIN of
-- search_text included. Under a stream of writes the push's MarkSynced statement took 0.4-0.7 s for a few hundred rows,
-- and since it writes their syncStatus events, the event poller waited at its id gap for it (issue 35: every stream
-- told it lagged at 500 changes/s). Nothing needs the index: the spaces list's syncStatus filter walks the
-- organization's sort index as the people list's does, and "retry failed" is a rare, bounded scan.
DROP INDEX spaces_org_sync_idx;
-- A HOT update also needs room on the row's own page: leave some on each page for the flips (new rows from now on;
-- pages fill to 85 %).
ALTER TABLE spaces SET (fillfactor = 85);

-- "Does this entity still have an open job?" (SyncEntities, for every entity a push or sync marks) and the push's
-- coalescing read open jobs only. With sync_queue_entity_seq_idx covering every job ever kept, a planner whose
-- statistics lagged the queue's churn (a new organization, an import, a burst) probed the open-jobs-by-key index with
-- the organization alone and filtered every open job once per entity marked: 0.3-2 s for a few hundred spaces at 500
-- changes/s. An index of the open jobs by entity answers both by probe whatever the statistics say, and is smaller.
DROP INDEX sync_queue_entity_seq_idx;
CREATE INDEX sync_queue_open_entity_idx ON sync_queue (org_id, entity_type, entity_id, seq) WHERE status IN ('pending', 'processing');
