-- The Node server's data for bench --peer-url (node-peer.sh setup): one company, one store, one store-scoped user, 200 spaces,
-- 10,000 people, 200 conference rooms. People's and rooms' ids are fixed (person g: 00000000-0000-4000-8000-<g, 12 digits>,
-- room g: 00000000-0000-4000-9000-<g>): the bench's write workloads name them (NodePeer.cs).
BEGIN;
INSERT INTO companies (id, name, code, settings, is_active, created_at, updated_at)
VALUES ('11111111-1111-1111-1111-111111111111', 'Bench Co', 'BENCH', '{}', true, now(), now());
INSERT INTO stores (id, company_id, name, code, settings, timezone, locale, sync_enabled, is_active, status, created_at, updated_at)
VALUES ('22222222-2222-2222-2222-222222222222', '11111111-1111-1111-1111-111111111111', 'Bench Store', '01', '{}', 'UTC', 'en', false, true, 'ACTIVE', now(), now());
INSERT INTO users (id, email, password_hash, first_name, last_name, is_active, preferences, created_at, updated_at)
VALUES ('33333333-3333-3333-3333-333333333333', 'bench@example.com', :'pwhash', 'Bench', 'User', true, '{}', now(), now());
INSERT INTO user_companies (id, user_id, company_id, role_id, all_stores_access, created_at, updated_at)
VALUES (gen_random_uuid(), '33333333-3333-3333-3333-333333333333', '11111111-1111-1111-1111-111111111111', 'role-admin', false, now(), now());
INSERT INTO user_stores (id, user_id, store_id, role_id, features, created_at, updated_at)
VALUES (gen_random_uuid(), '33333333-3333-3333-3333-333333333333', '22222222-2222-2222-2222-222222222222', 'role-admin', '["dashboard","people","spaces","conference"]', now(), now());
INSERT INTO spaces (id, store_id, external_id, data, sync_status, created_at, updated_at)
SELECT gen_random_uuid(), '22222222-2222-2222-2222-222222222222', g::text,
       jsonb_build_object('roomName', 'Room ' || g, 'floor', (g % 10)::text), 'SYNCED',
       now() - (g || ' minutes')::interval, now()
FROM generate_series(1,200) g;
INSERT INTO people (id, store_id, external_id, virtual_space_id, assigned_space_id, data, sync_status, created_at, updated_at)
SELECT '00000000-0000-4000-8000-' || lpad(g::text, 12, '0'), '22222222-2222-2222-2222-222222222222', 'EMP' || lpad(g::text, 6, '0'),
       CASE WHEN g <= 200 THEN NULL ELSE 'POOL-' || lpad(g::text, 8, '0') END,
       CASE WHEN g <= 200 THEN g::text ELSE NULL END,
       jsonb_build_object('name', 'Person ' || g, 'title', 'Engineer', 'department', 'Dept ' || (g % 25), 'email', 'p' || g || '@example.com'),
       'SYNCED', now() - (g || ' seconds')::interval, now()
FROM generate_series(1,10000) g;
INSERT INTO conference_rooms (id, store_id, external_id, room_name, sync_status, created_at, updated_at)
SELECT '00000000-0000-4000-9000-' || lpad(g::text, 12, '0'), '22222222-2222-2222-2222-222222222222', 'R' || g, 'Room ' || g, 'SYNCED', now(), now()
FROM generate_series(1,200) g;
COMMIT;
ANALYZE;
SELECT (SELECT count(*) FROM people) people, (SELECT count(*) FROM spaces) spaces, (SELECT count(*) FROM conference_rooms) rooms;
