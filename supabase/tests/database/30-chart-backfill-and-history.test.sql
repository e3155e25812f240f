-- Chart backfill (trigger on submit, request RPC) and music_video_chart_history(): access,
-- security modes, derived facts (peak, weeks on chart, re-entry, gap weeks), soft-deleted rows.
begin;
select plan(14);

insert into auth.users (id, email) values
  ('30000000-0000-0000-0000-000000000001', 'owner30@example.test'),
  ('30000000-0000-0000-0000-000000000002', 'stranger30@example.test');
insert into public.profiles (id) values ('30000000-0000-0000-0000-000000000001');
insert into public.releases (id, user_id, title) values
  ('30000000-0000-0000-0000-0000000000aa', '30000000-0000-0000-0000-000000000001', 'Thirty');
insert into public.music_videos (id, release_id, title, kpi_chart_target, submitted_at) values
  ('30000000-0000-0000-0000-0000000000b1', '30000000-0000-0000-0000-0000000000aa', 'Charted', 'billboard_hot_100',
   now()),
  ('30000000-0000-0000-0000-0000000000b2', '30000000-0000-0000-0000-0000000000aa', 'Draft', 'billboard_hot_100',
   null);

select is(
  (select prosecdef from pg_proc where oid = 'public.request_music_video_chart_backfill(text, integer)'::regprocedure),
  false, 'the exposed backfill RPC is security invoker'
);
select is(
  (select prosecdef from pg_proc where oid = 'public.music_video_chart_history(text, text)'::regprocedure),
  false, 'the chart history RPC is security invoker'
);
select is(
  (select metadata ->> 'backfill_weeks' from public.music_video_metric_imports
   where music_video_id = '30000000-0000-0000-0000-0000000000b1' and source = 'charts'),
  '52', 'a plan submitted with a chart target queues a 52-week backfill'
);
select is(
  (select count(*)::int from public.music_video_metric_imports
   where music_video_id = '30000000-0000-0000-0000-0000000000b2'),
  0, 'a draft queues nothing'
);

-- weeks (Mondays): 2026-07-06 #9, 07-13 #4, (07-20 off), 07-27 #6 rolled back, 08-03 #7 (Spotify #2 deleted)
insert into public.music_video_metrics (music_video_id, platform, collected_at, source, chart_position, deleted_at)
values
  ('30000000-0000-0000-0000-0000000000b1', 'other', '2026-07-06 00:00+00', 'billboard_hot_100', 9, null),
  ('30000000-0000-0000-0000-0000000000b1', 'other', '2026-07-13 00:00+00', 'billboard_hot_100', 4, null),
  ('30000000-0000-0000-0000-0000000000b1', 'other', '2026-07-27 00:00+00', 'billboard_hot_100', 6, now()),
  ('30000000-0000-0000-0000-0000000000b1', 'other', '2026-08-03 00:00+00', 'billboard_hot_100', 7, null),
  ('30000000-0000-0000-0000-0000000000b1', 'mtv', '2026-08-03 00:00+00', 'broadcast:x.csv', null, null);

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select * from public.music_video_chart_history('30000000-0000-0000-0000-0000000000b1')$$,
  '42501', 'permission denied for function music_video_chart_history', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "30000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.music_video_chart_history('30000000-0000-0000-0000-0000000000b1')$$,
  'PT404', 'Music video not found', 'another user gets PT404 from the history'
);
select throws_ok(
  $$select public.request_music_video_chart_backfill('30000000-0000-0000-0000-0000000000b1', 4)$$,
  'PT404', 'Music video not found', 'another user gets PT404 from the backfill request'
);

select set_config('request.jwt.claims',
  '{"sub": "30000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
create temp table h on commit drop as
select * from public.music_video_chart_history('30000000-0000-0000-0000-0000000000b1');
select is((select distinct peak_position from h), 4, 'peak is the best stored rank (on every row)');
select is((select distinct weeks_on_chart from h), 3, 'three live weeks on the chart');
select is(
  (select array_agg(week_start::text order by week_start) from h where not on_chart),
  array['2026-07-20', '2026-07-27'], 'the gap week and the rolled-back week show as off the chart'
);
select is((select distinct current_entry_kind from h), 're_entry', 'the latest run is a re-entry');
select is((select distinct current_position from h), 7, 'current position is the latest week');
select throws_ok(
  $$select public.request_music_video_chart_backfill('30000000-0000-0000-0000-0000000000b1', 0)$$,
  '22023', 'Invalid backfill length', 'weeks must be 1..520'
);
select is(
  (select (public.request_music_video_chart_backfill('30000000-0000-0000-0000-0000000000b1', 8)).created::text),
  'false', 'a pending charts job is reused'
);

select * from finish();
rollback;
