-- The per-organization counters (row_counts, 0009; list_versions, 0010) are sharded so that concurrent writers don't
-- queue on one row. The shard was pg_backend_pid() % 64, so two backends with the same remainder shared a row, and a
-- writer holding it (until commit) while it waited for a row the other had locked deadlocked with it: two transactions
-- that lock different rows in a safe order could still deadlock through the counter. A writer now adds to the first
-- shard row no other open transaction holds (FOR UPDATE SKIP LOCKED never waits; rows the writer's own transaction
-- holds are not skipped, so its own shard, tried first, is taken again), and when every row is held it adds a new
-- shard under a random number, so the counter never makes a writer wait. Shards stay few: a new one appears only when
-- all existing ones are held at once, so there are about as many as writers ever ran at the same time. Readers sum
-- the shards as before.

CREATE FUNCTION list_versions_add(org uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE free integer;
BEGIN
    SELECT shard INTO free FROM list_versions WHERE org_id = org
    ORDER BY shard <> pg_backend_pid() % 64, shard LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF free IS NULL THEN
        INSERT INTO list_versions (org_id, shard, v) VALUES (org, 64 + floor(random() * 2000000000)::integer, 1);
    ELSE
        UPDATE list_versions SET v = v + 1 WHERE org_id = org AND shard = free;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION list_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM list_versions_add(org_id) FROM (SELECT DISTINCT org_id FROM changed_rows ORDER BY 1) o;
    RETURN NULL;
END $$;

CREATE FUNCTION row_counts_add_to(org uuid, tbl text, delta bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE free integer;
BEGIN
    SELECT shard INTO free FROM row_counts WHERE org_id = org AND table_name = tbl
    ORDER BY shard <> pg_backend_pid() % 64, shard LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF free IS NULL THEN
        INSERT INTO row_counts (org_id, table_name, shard, n) VALUES (org, tbl, 64 + floor(random() * 2000000000)::integer, delta);
    ELSE
        UPDATE row_counts SET n = n + delta WHERE org_id = org AND table_name = tbl AND shard = free;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION row_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM row_counts_add_to(org_id, TG_TABLE_NAME, count(*)) FROM new_rows GROUP BY org_id ORDER BY org_id;
    ELSE
        PERFORM row_counts_add_to(org_id, TG_TABLE_NAME, -count(*)) FROM old_rows GROUP BY org_id ORDER BY org_id;
    END IF;
    RETURN NULL;
END $$;
