-- A dump written to the object store (tickerpulse.ops.backup.backup_warehouse).
INSERT INTO tickerpulse.backups (
    object_url, taken_at, size_bytes, sha256, server_version, pg_dump_version
)
VALUES (
    %(object_url)s, %(taken_at)s, %(size_bytes)s, %(sha256)s, %(server_version)s,
    %(pg_dump_version)s
)
ON CONFLICT (object_url) DO UPDATE SET
    taken_at = EXCLUDED.taken_at,
    size_bytes = EXCLUDED.size_bytes,
    sha256 = EXCLUDED.sha256,
    server_version = EXCLUDED.server_version,
    pg_dump_version = EXCLUDED.pg_dump_version,
    deleted_at = NULL;
