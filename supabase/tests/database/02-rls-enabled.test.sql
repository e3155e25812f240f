-- Row-level security is on for every table in the API's schema, and anon has no grant on any
-- table of the feature.
begin;
select plan(3);

select is_empty(
  $$select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity$$,
  'RLS is enabled on every table in public'
);
select is_empty(
  $$select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relrowsecurity
      and not exists (select 1 from pg_policy as p where p.polrelid = c.oid)$$,
  'every table with RLS has at least one policy'
);
select is_empty(
  $$select table_name || ':' || privilege_type from information_schema.role_table_grants
    where grantee = 'anon' and table_schema = 'public' and table_name like 'music\_video%'$$,
  'anon has no privilege on any music_video table or view'
);

select * from finish();
rollback;
