-- Row-level security is on for every table in the API's schema, and anon has no grant on any
-- table of the feature.
begin;
select plan(6);

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

-- The private tables the workers share: RLS on, and only admins read the quota pauses.
select is_empty(
  $$select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'private' and c.relkind in ('r', 'p') and not c.relrowsecurity$$,
  'RLS is enabled on every table in private'
);
insert into private.worker_source_pauses (source, paused_until, reason)
values ('youtube', now() + interval '1 hour', 'quotaExceeded');
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-8000-0000000000aa", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
set local role authenticated;
select is((select count(*)::int from private.worker_source_pauses), 1, 'an admin reads the source pauses');
reset role;
select set_config('request.jwt.claims',
  '{"sub": "00000000-0000-4000-8000-0000000000bb", "role": "authenticated", "app_metadata": {}}', true);
set local role authenticated;
select is((select count(*)::int from private.worker_source_pauses), 0, 'another user reads none');
reset role;

select * from finish();
rollback;
