-- Every base table outside the system schemas, for the backup round-trip check.
SELECT table_schema, table_name
FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN ('pg_catalog', 'information_schema')
  AND left(table_schema, 3) <> 'pg_'
ORDER BY table_schema, table_name;
