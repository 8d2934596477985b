-- Functions PostgreSQL planned again on every call (issue 18, measured with pg_stat_statements.track_planning under the
-- write benchmark: 1 plan per execution). The outbox key trigger's single CASE with three subqueries made every custom
-- plan (one branch kept) look cheaper than the generic one, so it was planned for each inserted job (~0.2 ms, the
-- largest single cost of a create); SQL-language functions that cannot be inlined are planned per call. Branches with
-- one query each and PL/pgSQL bodies keep their plans for the session. Results are unchanged.
CREATE OR REPLACE FUNCTION sync_queue_aims_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.aims_key IS NULL THEN
        IF NEW.action IN ('link_label', 'unlink_label', 'flip_page') THEN
            NEW.aims_key := 'label:' || (NEW.payload ->> 'labelCode');
        ELSIF NEW.action = 'delete_article' THEN
            NEW.aims_key := 'article:' || (NEW.payload ->> 'articleId');
        ELSIF NEW.entity_type = 'space' THEN
            NEW.aims_key := 'article:' || (SELECT external_id FROM spaces WHERE id = NEW.entity_id);
        ELSIF NEW.entity_type = 'conference' THEN
            NEW.aims_key := 'article:C' || (SELECT external_id FROM conference_rooms WHERE id = NEW.entity_id);
        ELSIF NEW.entity_type = 'person' THEN
            NEW.aims_key := 'article:' || (SELECT coalesce(s.external_id, p.virtual_space_id)
                                           FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id
                                           WHERE p.id = NEW.entity_id);
        END IF;
        NEW.aims_key := coalesce(NEW.aims_key, NEW.entity_type || ':' || NEW.entity_id);
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION next_pool_id() RETURNS text LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
DECLARE n bigint := nextval('pool_number_seq');
BEGIN
    RETURN 'POOL-' || lpad(n::text, greatest(4, length(n::text)), '0');
END $$;

CREATE OR REPLACE FUNCTION search_values(data jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN (SELECT string_agg(value, E'\n') FROM jsonb_each_text(data));
END $$;
