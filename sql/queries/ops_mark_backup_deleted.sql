-- Retention removed this dump from the object store.
UPDATE tickerpulse.backups SET deleted_at = now()
WHERE object_url = %(object_url)s AND deleted_at IS NULL;
