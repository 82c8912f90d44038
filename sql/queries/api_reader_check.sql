-- What the JSON API checks about its own login before it serves anything: it must be a member
-- of tickerpulse_reader, not a superuser, and unable to write any table of the warehouse.
SELECT current_user,
       pg_has_role(current_user, 'tickerpulse_reader', 'MEMBER') AS is_reader,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('tickerpulse', 'public') AND c.relkind IN ('r', 'p', 'v')
          AND has_table_privilege(current_user, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
           AS writable_tables;
