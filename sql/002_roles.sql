-- 002: the read-only group role that dashboards connect through. Safe to re-run.
--
-- Roles are cluster-wide while grants are per database, so the role may already exist (created by
-- docker/postgres-init, by another database on the same server, or by an earlier run of this
-- file) and the grants may not. Login users are created outside the migrations, with their own
-- passwords, and made members of this role.
--
-- Which tables the role may read is an allow-list kept in 004_serving.sql: a table is readable by
-- Grafana only when a migration grants it, never by default. Writes stay with the role that owns
-- the schema (the loader that runs these migrations).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'tickerpulse_reader') THEN
        CREATE ROLE tickerpulse_reader NOLOGIN;
    END IF;
EXCEPTION
    -- Another session (a test database or a second warehouse on the same server) created it
    -- between the check and the CREATE.
    WHEN duplicate_object OR unique_violation THEN
        RAISE NOTICE 'role tickerpulse_reader already exists, skipping';
END
$$;

GRANT USAGE ON SCHEMA tickerpulse TO tickerpulse_reader;
