-- A change counter per organization for the cached list answers (Common/ListCache.cs): every statement that changes a
-- row a list shows (people, spaces, rooms, users, list memberships, labels) adds one, in the same transaction, so a
-- cached answer is served only while the counter still reads what it read when the answer was built; any instance can
-- tell, since the counter lives here and not in one host's memory. Like row_counts it is sharded by backend, so
-- concurrent writers in one organization don't queue on a single row; the version is the sum of the shards, which
-- only grows, and grows with every committed change.
CREATE TABLE list_versions (
    org_id uuid    NOT NULL,
    shard  integer NOT NULL,
    v      bigint  NOT NULL,
    PRIMARY KEY (org_id, shard)
);

CREATE FUNCTION list_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO list_versions (org_id, shard, v)
    SELECT org_id, pg_backend_pid() % 64, 1 FROM changed_rows GROUP BY org_id ORDER BY org_id
    ON CONFLICT (org_id, shard) DO UPDATE SET v = list_versions.v + 1;
    RETURN NULL;
END $$;

-- A trigger with transition tables takes one event, hence three per table.
CREATE TRIGGER people_list_version_insert AFTER INSERT ON people REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER people_list_version_update AFTER UPDATE ON people REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER people_list_version_delete AFTER DELETE ON people REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER spaces_list_version_insert AFTER INSERT ON spaces REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER spaces_list_version_update AFTER UPDATE ON spaces REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER spaces_list_version_delete AFTER DELETE ON spaces REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER conference_rooms_list_version_insert AFTER INSERT ON conference_rooms REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER conference_rooms_list_version_update AFTER UPDATE ON conference_rooms REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER conference_rooms_list_version_delete AFTER DELETE ON conference_rooms REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER users_list_version_insert AFTER INSERT ON users REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER users_list_version_update AFTER UPDATE ON users REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER users_list_version_delete AFTER DELETE ON users REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER people_list_entries_list_version_insert AFTER INSERT ON people_list_entries REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER people_list_entries_list_version_update AFTER UPDATE ON people_list_entries REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER people_list_entries_list_version_delete AFTER DELETE ON people_list_entries REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER label_assignments_list_version_insert AFTER INSERT ON label_assignments REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER label_assignments_list_version_update AFTER UPDATE ON label_assignments REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
CREATE TRIGGER label_assignments_list_version_delete AFTER DELETE ON label_assignments REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_versions_bump();
