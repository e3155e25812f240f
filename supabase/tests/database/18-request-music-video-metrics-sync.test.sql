-- request_music_video_metrics_sync(): access, one job per source, reuse of live jobs.
begin;
select plan(12);

insert into auth.users (id, email) values
  ('18000000-0000-0000-0000-000000000001', 'owner18@example.test'),
  ('18000000-0000-0000-0000-000000000002', 'stranger18@example.test');
insert into public.profiles (id) values ('18000000-0000-0000-0000-000000000001');
insert into public.releases (id, user_id, title) values
  ('18000000-0000-0000-0000-0000000000aa', '18000000-0000-0000-0000-000000000001', 'Eighteen');
-- An ISRC makes the video chart-syncable without the chart-backfill job a kpi_chart_target
-- queues at creation (20261124030000), so the jobs below are all this RPC's.
insert into public.music_videos (id, release_id, title, isrc) values
  ('18000000-0000-0000-0000-0000000000b1', '18000000-0000-0000-0000-0000000000aa', 'Both', 'USRC17607839'),
  ('18000000-0000-0000-0000-0000000000b2', '18000000-0000-0000-0000-0000000000aa', 'None', null);
insert into public.music_video_platform_targets (music_video_id, platform, external_id) values
  ('18000000-0000-0000-0000-0000000000b1', 'youtube', 'dQw4w9WgXcQ');

select is(
  (select prosecdef from pg_proc where oid = 'public.request_music_video_metrics_sync(text)'::regprocedure),
  false, 'the exposed RPC is security invoker'
);
select is(
  (select prosecdef from pg_proc where oid = 'private.request_music_video_metrics_sync(uuid)'::regprocedure),
  true, 'the private worker function is security definer'
);

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000b1')$$,
  '42501', 'permission denied for function request_music_video_metrics_sync', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "18000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000b1')$$,
  'PT404', 'Music video not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "18000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000ff')$$,
  'PT404', 'Music video not found', 'a video that does not exist gets the same PT404'
);
select throws_ok(
  $$select public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000b2')$$,
  'PT422', 'This music video has nothing to sync', 'a video without sources gets PT422'
);

create temp table first_call on commit drop as
select to_jsonb(public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000b1')) as b;
grant select on first_call to service_role;
select is(jsonb_array_length((select b -> 'import_ids' from first_call)), 2, 'two sources, two jobs');
select is(
  (select count(*)::int from public.music_video_metric_imports
   where music_video_id = '18000000-0000-0000-0000-0000000000b1' and status = 'pending'
     and triggered_by = '18000000-0000-0000-0000-000000000001'),
  2, 'pending jobs the owner can read back, triggered by the owner'
);
select is(
  to_jsonb(public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000b1')) -> 'import_ids',
  (select b -> 'import_ids' from first_call), 'a second request returns the same ids'
);
select is(
  (select count(*)::int from public.music_video_metric_imports
   where music_video_id = '18000000-0000-0000-0000-0000000000b1'),
  2, 'and creates no job'
);
select throws_ok(
  $$insert into public.music_video_metric_imports (music_video_id, source)
    values ('18000000-0000-0000-0000-0000000000b1', 'youtube')$$,
  '42501', 'new row violates row-level security policy for table "music_video_metric_imports"',
  'the owner still cannot write jobs directly'
);

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  to_jsonb(public.request_music_video_metrics_sync(id => '18000000-0000-0000-0000-0000000000b1')) -> 'import_ids',
  (select b -> 'import_ids' from first_call), 'the service role gets the live jobs too'
);

reset role;
select * from finish();
rollback;
