-- The job queue's database objects: the insert notification, the events table and the
-- source pauses (migrations 20261124020000..020200).
begin;
select plan(14);

-- Waking the workers: one statement-level trigger, after insert, on the imports table.
select ok(
  exists (
    select 1 from pg_trigger as t
    where t.tgrelid = 'public.music_video_metric_imports'::regclass and t.tgname = 'notify_workers'
      and (t.tgtype::int & 1) = 0   -- statement level (bit 0 clear)
      and (t.tgtype::int & 4) <> 0  -- on insert
  ),
  'an insert on the imports table notifies once per statement'
);
select is(
  (select p.proconfig from pg_proc as p where p.oid = 'private.notify_music_video_imports'::regproc),
  array['search_path=""'],
  'the notify function pins an empty search_path'
);
select ok(
  not has_function_privilege('authenticated', 'private.notify_music_video_imports()', 'execute'),
  'clients cannot call the notify function'
);
-- Inserting through the trigger works for the roles that may insert jobs.
select lives_ok(
  $$insert into public.music_video_metric_imports (source) values ('broadcast'), ('charts')$$,
  'a multi-row, multi-source insert runs the statement trigger'
);

-- The events table: RLS on, owners read, only the service role writes.
select ok(
  (select c.relrowsecurity from pg_class as c where c.oid = 'public.music_video_events'::regclass),
  'music_video_events has row-level security'
);
select ok(not has_table_privilege('anon', 'public.music_video_events', 'select'), 'anon cannot read events');
select ok(has_table_privilege('authenticated', 'public.music_video_events', 'select'),
          'signed-in users may read events (RLS filters them)');
select ok(not has_table_privilege('authenticated', 'public.music_video_events', 'insert'),
          'signed-in users cannot write events');
select ok(has_table_privilege('service_role', 'public.music_video_events', 'insert'),
          'the service role writes events');
select policies_are('public', 'music_video_events', array['Release owners and admins read events'],
                    'one read policy and nothing else');
select ok(
  exists (select 1 from pg_publication_tables
          where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'music_video_events'),
  'events are published to realtime'
);
select throws_ok(
  $$insert into public.music_video_events (event, payload, dedupe_key)
    values ('music_video.metrics_synced', '{}', 'k'), ('music_video.metrics_synced', '{}', 'k')$$,
  '23505', null, 'an event dedupe key is written once'
);

-- Source pauses: workers write them; signed-in users cannot (admins read them, see 02-rls-enabled).
select ok(not has_table_privilege('authenticated', 'private.worker_source_pauses', 'insert, update, delete'),
          'signed-in users cannot pause or resume a source');
select ok(has_table_privilege('service_role', 'private.worker_source_pauses', 'insert'),
          'the service role may pause a source');

select * from finish();
rollback;
