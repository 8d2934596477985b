-- The push half of the sync engine (issue 19): the outbox becomes fit for a dispatcher.
--  * aims_key: the AIMS thing a job touches ('article:<id>' or 'label:<code>'); one job per key (and per entity) runs at a
--    time, in seq order, so "unlink L from A, link L to B" and "delete D1, create D1" reach AIMS in commit order.
--  * jobs are claimed by state (FOR UPDATE SKIP LOCKED + a lease in locked_until), never by a "seq > last seen" watermark.
--  * pushed_version: the entity version a job pushed; the entity becomes synced only if it is still that version.
--  * msg_*: with Queue:Provider = Postgres the row is its own queue message (visible at msg_visible_at, dequeue_count
--    rising on each receive, poisoned_at after too many); the Azure Storage provider ignores these columns.
ALTER TABLE sync_queue
    ADD COLUMN aims_key       text,
    ADD COLUMN pushed_version integer,
    ADD COLUMN locked_until   timestamptz,
    ADD COLUMN coalesced_into uuid,
    ADD COLUMN msg_visible_at timestamptz DEFAULT now(),
    ADD COLUMN msg_receipt    uuid,
    ADD COLUMN dequeue_count  integer NOT NULL DEFAULT 0,
    ADD COLUMN poisoned_at    timestamptz;

UPDATE sync_queue SET msg_visible_at = NULL WHERE status NOT IN ('pending', 'processing');

-- The key is derived where the row is written, so every writer (single, bulk, import) gets it without knowing about it.
CREATE FUNCTION sync_queue_aims_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.aims_key IS NULL THEN
        NEW.aims_key := CASE
            WHEN NEW.action IN ('link_label', 'unlink_label', 'flip_page') THEN 'label:' || (NEW.payload ->> 'labelCode')
            WHEN NEW.action = 'delete_article' THEN 'article:' || (NEW.payload ->> 'articleId')
            WHEN NEW.entity_type = 'space' THEN 'article:' || (SELECT external_id FROM spaces WHERE id = NEW.entity_id)
            WHEN NEW.entity_type = 'conference' THEN 'article:C' || (SELECT external_id FROM conference_rooms WHERE id = NEW.entity_id)
            WHEN NEW.entity_type = 'person' THEN 'article:' || (SELECT coalesce(s.external_id, p.virtual_space_id)
                                                               FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id
                                                               WHERE p.id = NEW.entity_id)
        END;
        NEW.aims_key := coalesce(NEW.aims_key, NEW.entity_type || ':' || NEW.entity_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sync_queue_aims_key BEFORE INSERT ON sync_queue FOR EACH ROW EXECUTE FUNCTION sync_queue_aims_key();

UPDATE sync_queue SET aims_key = entity_type || ':' || entity_id WHERE aims_key IS NULL;
ALTER TABLE sync_queue ALTER COLUMN aims_key SET NOT NULL;

-- Dispatch right after commit: NOTIFY is delivered only when the writing transaction commits (one per organization
-- per statement; PostgreSQL folds duplicates within a transaction).
CREATE FUNCTION sync_queue_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sync_queue', d.org_id::text) FROM (SELECT DISTINCT org_id FROM new_rows) d;
    RETURN NULL;
END $$;
CREATE TRIGGER sync_queue_notify AFTER INSERT ON sync_queue REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sync_queue_notify();

-- The claim reads an organization's open jobs in seq order (heads per key and per entity).
CREATE INDEX sync_queue_open_idx ON sync_queue (org_id, seq) WHERE status IN ('pending', 'processing');
CREATE INDEX sync_queue_open_key_idx ON sync_queue (org_id, aims_key, seq) WHERE status IN ('pending', 'processing');
-- The PostgreSQL queue provider receives visible messages oldest first; the sweeper finds poisoned ones.
CREATE INDEX sync_queue_msg_idx ON sync_queue (msg_visible_at) WHERE msg_visible_at IS NOT NULL;
CREATE INDEX sync_queue_poison_idx ON sync_queue (poisoned_at) WHERE poisoned_at IS NOT NULL;
-- Dead letters per organization, newest first; retention purge of completed rows.
CREATE INDEX sync_queue_dead_idx ON sync_queue (org_id, processed_at DESC) WHERE status = 'dead';
CREATE INDEX sync_queue_done_idx ON sync_queue (processed_at) WHERE status IN ('completed', 'failed');
