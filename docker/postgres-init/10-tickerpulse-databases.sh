#!/usr/bin/env bash
# One Postgres server, two databases with separate owners: Airflow's metadata must not be readable
# by the warehouse roles, and Grafana must only ever SELECT from the warehouse.
#
# The postgres image runs this once, on an empty data directory, as $POSTGRES_USER. It is still
# written to be safe to re-run by hand (every statement is guarded), because restoring a volume
# or pointing the stack at an existing server is how people end up running it twice.
#
# Roles:
#   airflow              LOGIN, owns database "airflow" (metadata + Celery results)
#   tickerpulse_loader   LOGIN, owns database $WAREHOUSE_DB_NAME; runs the migrations and loads
#   tickerpulse_reader   NOLOGIN group: USAGE + SELECT on schema tickerpulse (sql/002_roles.sql)
#   tickerpulse_grafana  LOGIN, member of tickerpulse_reader and nothing else
#   tickerpulse_api      LOGIN, member of tickerpulse_reader and nothing else (the JSON API)
set -euo pipefail

: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD must be set (see .env.example)}"
: "${WAREHOUSE_DB_PASSWORD:?WAREHOUSE_DB_PASSWORD must be set (see .env.example)}"
: "${GRAFANA_DB_PASSWORD:?GRAFANA_DB_PASSWORD must be set (see .env.example)}"
: "${API_DB_PASSWORD:?API_DB_PASSWORD must be set (see .env.example)}"
WAREHOUSE_DB_NAME="${WAREHOUSE_DB_NAME:-tickerpulse}"

# Passwords travel as psql variables and are quoted by psql (:'name'), so no value is ever
# spliced into SQL by the shell. The heredoc is quoted for the same reason.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
    -v airflow_password="$AIRFLOW_DB_PASSWORD" \
    -v loader_password="$WAREHOUSE_DB_PASSWORD" \
    -v grafana_password="$GRAFANA_DB_PASSWORD" \
    -v api_password="$API_DB_PASSWORD" \
    -v warehouse_db="$WAREHOUSE_DB_NAME" <<'EOSQL'
SELECT format('CREATE ROLE airflow LOGIN PASSWORD %L', :'airflow_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'airflow')
\gexec
SELECT format('ALTER ROLE airflow LOGIN PASSWORD %L', :'airflow_password')
\gexec
SELECT 'CREATE DATABASE airflow OWNER airflow'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'airflow')
\gexec
REVOKE ALL ON DATABASE airflow FROM PUBLIC;

SELECT format('CREATE ROLE tickerpulse_loader LOGIN PASSWORD %L', :'loader_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tickerpulse_loader')
\gexec
SELECT format('ALTER ROLE tickerpulse_loader LOGIN PASSWORD %L', :'loader_password')
\gexec
SELECT format('CREATE DATABASE %I OWNER tickerpulse_loader', :'warehouse_db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'warehouse_db')
\gexec

-- The group role is also created by sql/002_roles.sql; creating it here first lets the Grafana
-- login be granted membership before the first migration runs.
SELECT 'CREATE ROLE tickerpulse_reader NOLOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tickerpulse_reader')
\gexec
SELECT format('CREATE ROLE tickerpulse_grafana LOGIN PASSWORD %L', :'grafana_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tickerpulse_grafana')
\gexec
SELECT format('ALTER ROLE tickerpulse_grafana LOGIN PASSWORD %L', :'grafana_password')
\gexec
GRANT tickerpulse_reader TO tickerpulse_grafana;
-- A read-only login should not be able to hold locks or run away with the server.
ALTER ROLE tickerpulse_grafana SET default_transaction_read_only = on;
ALTER ROLE tickerpulse_grafana SET statement_timeout = '30s';
-- The JSON API's login (tickerpulse api): the same read-only membership as Grafana's.
SELECT format('CREATE ROLE tickerpulse_api LOGIN PASSWORD %L', :'api_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tickerpulse_api')
\gexec
SELECT format('ALTER ROLE tickerpulse_api LOGIN PASSWORD %L', :'api_password')
\gexec
GRANT tickerpulse_reader TO tickerpulse_api;
ALTER ROLE tickerpulse_api SET default_transaction_read_only = on;
ALTER ROLE tickerpulse_api SET statement_timeout = '15s';
EOSQL
