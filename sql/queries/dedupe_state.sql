-- From when the dedupe keys of this k hold every loaded post (NULL row: never derived).
SELECT complete_from FROM tickerpulse.dedupe_state WHERE bands = %(bands)s;
