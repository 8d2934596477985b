-- Every change of a space flips its sync_status twice (pending on the write, synced when the push lands), and
-- spaces_org_sync_idx made each flip a non-HOT update: a new entry in every index of the table, the trigram GIN of
-- search_text included, in the push's "synced" statement that live-update streams wait on (issue 35). Nothing needs
-- the index: the spaces list's syncStatus filter walks the
-- organization's sort index as the people list's does, and "retry failed" is a rare, bounded scan.
DROP INDEX spaces_org_sync_idx;
-- A HOT update also needs room on the row's own page: leave some on each page for the flips (new rows from now on;
-- pages fill to 85 %).
ALTER TABLE spaces SET (fillfactor = 85);

-- "Does this entity still have an open job?" (SyncEntities) and the push's coalescing read open jobs only, so the
-- entity index need not keep every completed job of the retention window: it covers the open ones (smaller, and
-- cheaper to keep as jobs complete). The check itself reads a batch's open jobs once per statement
-- (SyncEntities.OpenJobsAmong); written per entity, lagging statistics made it scan all open jobs for every entity.
DROP INDEX sync_queue_entity_seq_idx;
CREATE INDEX sync_queue_open_entity_idx ON sync_queue (org_id, entity_type, entity_id, seq) WHERE status IN ('pending', 'processing');
