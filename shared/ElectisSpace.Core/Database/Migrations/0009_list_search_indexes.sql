-- Lists and search backed by indexes (issue 18).
-- Search is "contains, case-insensitive" (ILIKE '%text%') over several fields at once. Each searchable table gets one
-- stored search_text: its searched fields (and every value of its data) joined by newlines, kept by PostgreSQL on
-- every write, with a trigram GIN index that ILIKE uses. Text without a newline is contained in search_text exactly when
-- it is contained in one of the fields (a match can't cross a newline it doesn't have), so searching search_text means
-- what the per-field search meant; for text with a newline the repositories add the per-field predicate (Like.AddSearch).
-- pg_trgm is a trusted extension (PostgreSQL 13+); on Azure Database for PostgreSQL it must be allow-listed
-- (server parameter azure.extensions = PG_TRGM).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- All values of a JSON object (entity data), one per line; jsonb's fixed key order makes it immutable.
CREATE FUNCTION search_values(data jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT string_agg(value, E'\n') FROM jsonb_each_text(data) $$;

ALTER TABLE people ADD COLUMN search_text text GENERATED ALWAYS AS
    (coalesce(external_id, '') || E'\n' || coalesce(virtual_space_id, '') || E'\n' || coalesce(search_values(data), '')) STORED;
ALTER TABLE spaces ADD COLUMN search_text text GENERATED ALWAYS AS
    (coalesce(external_id, '') || E'\n' || coalesce(label_code, '') || E'\n' || coalesce(search_values(data), '')) STORED;
ALTER TABLE conference_rooms ADD COLUMN search_text text GENERATED ALWAYS AS
    (external_id || E'\n' || room_name || E'\n' || coalesce(meeting_name, '')) STORED;
-- "first last" (one space) is searched as a whole name too, so the two sit side by side.
ALTER TABLE users ADD COLUMN search_text text GENERATED ALWAYS AS
    (email || E'\n' || coalesce(first_name, '') || ' ' || coalesce(last_name, '')) STORED;

CREATE INDEX people_search_trgm_idx ON people USING gin (search_text gin_trgm_ops);
CREATE INDEX spaces_search_trgm_idx ON spaces USING gin (search_text gin_trgm_ops);
CREATE INDEX conference_rooms_search_trgm_idx ON conference_rooms USING gin (search_text gin_trgm_ops);
CREATE INDEX users_search_trgm_idx ON users USING gin (search_text gin_trgm_ops);
CREATE INDEX people_lists_name_trgm_idx ON people_lists USING gin (name gin_trgm_ops);

-- Sort orders the lists offer, each with the id tie-breaker they page by (created_at ones exist since 0003/0004).
CREATE INDEX people_org_name_idx ON people (org_id, (data->>'name'), id);
CREATE INDEX people_org_updated_idx ON people (org_id, updated_at, id);
CREATE INDEX spaces_org_external_id_idx ON spaces (org_id, external_id, id);
CREATE INDEX spaces_org_updated_idx ON spaces (org_id, updated_at, id);
CREATE INDEX users_org_created_idx ON users (org_id, created_at, id);
CREATE INDEX conference_rooms_org_external_id_idx ON conference_rooms (org_id, external_id, id);

-- Audit filters, newest first within each.
CREATE INDEX audit_logs_org_action_time_idx ON audit_logs (org_id, action, created_at DESC);
CREATE INDEX audit_logs_org_user_time_idx ON audit_logs (org_id, user_id, created_at DESC);
