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

-- Exact row counts per organization for the unfiltered people and spaces lists, so their pagination.total is one
-- index read instead of counting every row on every request. Kept by statement triggers in the same transaction as
-- the change (so the total is exactly what count(*) would say to the same reader). Each backend adds to its own shard
-- row (pg_backend_pid() % 64): concurrent writers in one organization don't queue on one counter row; a read sums the shards.
-- No foreign key: when an organization is deleted its rows' delete triggers still write here (leftover rows are harmless).
CREATE TABLE row_counts (
    org_id     uuid    NOT NULL,
    table_name text    NOT NULL,
    shard      integer NOT NULL,
    n          bigint  NOT NULL,
    PRIMARY KEY (org_id, table_name, shard)
);

CREATE FUNCTION row_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO row_counts (org_id, table_name, shard, n)
        SELECT org_id, TG_TABLE_NAME, pg_backend_pid() % 64, count(*) FROM new_rows GROUP BY org_id ORDER BY org_id
        ON CONFLICT (org_id, table_name, shard) DO UPDATE SET n = row_counts.n + EXCLUDED.n;
    ELSE
        INSERT INTO row_counts (org_id, table_name, shard, n)
        SELECT org_id, TG_TABLE_NAME, pg_backend_pid() % 64, -count(*) FROM old_rows GROUP BY org_id ORDER BY org_id
        ON CONFLICT (org_id, table_name, shard) DO UPDATE SET n = row_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER people_count_insert AFTER INSERT ON people REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER people_count_delete AFTER DELETE ON people REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER spaces_count_insert AFTER INSERT ON spaces REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();
CREATE TRIGGER spaces_count_delete AFTER DELETE ON spaces REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION row_counts_add();

INSERT INTO row_counts (org_id, table_name, shard, n) SELECT org_id, 'people', 0, count(*) FROM people GROUP BY org_id;
INSERT INTO row_counts (org_id, table_name, shard, n) SELECT org_id, 'spaces', 0, count(*) FROM spaces GROUP BY org_id;
