-- The app's least-privilege role (docs/adr/0005-connection-budget-and-least-privilege.md). On Azure the app signs in as
-- a login that is a member of electisspace_app (the `app-login` command makes it: a password login, or the managed
-- identity's Entra principal), not as the administrator that owns the schema and runs these migrations. It reads and
-- writes rows, uses sequences, calls functions and makes ON COMMIT DROP temp tables (imports); it owns nothing, so it
-- can't DROP, ALTER or TRUNCATE a table, nor CREATE in the schema. Roles are cluster-wide: made once, granted per database.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'electisspace_app') THEN
        CREATE ROLE electisspace_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO electisspace_app', current_database());
END $$;

GRANT USAGE ON SCHEMA public TO electisspace_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO electisspace_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO electisspace_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO electisspace_app;
-- The record of applied migrations is the administrator's alone (the app never reads it).
REVOKE ALL ON schema_migrations FROM electisspace_app;

-- What later migrations create (run by this same administrator) gets the same grants without each one remembering.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO electisspace_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO electisspace_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO electisspace_app;

-- PostgreSQL 14 still lets every role create objects in public (15 took it away): only the owner should.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
