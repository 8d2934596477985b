-- POOL-nnnn numbers come from one sequence instead of a per-organization counter row. The counter row was locked
-- until commit, so every creation in an organization queued behind the previous one (and the row took part in
-- deadlocks with assignment paths). nextval takes no lock that outlives the call; a rolled-back transaction leaves a
-- gap, which is fine: numbers only have to be unique (people_org_virtual_space_key) and never reused, and a sequence
-- never hands a number out twice. Numbers are shared by all organizations, so each organization's numbers have gaps.
CREATE SEQUENCE pool_number_seq AS bigint MINVALUE 1 MAXVALUE 999999999999999; -- 'POOL-' + 15 digits fits varchar(20)

-- Start above every number already given out, by any organization's counter or found on a person, so existing people
-- keep their ids and no number is reused.
SELECT setval('pool_number_seq', coalesce(greatest(
    (SELECT max(next_number) - 1 FROM pool_counters),
    (SELECT max(substring(virtual_space_id FROM 6)::bigint) FROM people WHERE virtual_space_id ~ '^POOL-[0-9]{1,15}$')), 0) + 1, false);

-- The next POOL id, formatted POOL-nnnn (at least four digits, more when the number needs them). Usable inside
-- set-based statements (imports, list loads): one call per row.
CREATE FUNCTION next_pool_id() RETURNS text LANGUAGE sql VOLATILE PARALLEL UNSAFE AS $$
    SELECT 'POOL-' || lpad(n::text, greatest(4, length(n::text)), '0') FROM nextval('pool_number_seq') AS n
$$;

DROP TABLE pool_counters;
