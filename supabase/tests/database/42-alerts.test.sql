-- Alerts: each raised exactly once (and not again on a re-sync of the same data), what a
-- notification needs to deep-link, realtime, who reads them and who marks them read.
begin;
\ir 00-helpers.sql
select plan(34);

-- Deferred card-summary refreshes (and so the KPI alert) run at the end of each statement here,
-- as they would at each commit.
set constraints all immediate;

insert into public.music_videos (id, release_id, title, kpi_view_target) values
  ('42000000-0000-0000-0000-0000000000b1', '00000000-0000-4000-8000-0000000000a1', 'Alerts', 1000),
  ('42000000-0000-0000-0000-0000000000b2', '00000000-0000-4000-8000-0000000000a1', 'Back-filled', null);

create function pg_temp.sample(p_video text, p_platform text, p_at timestamptz, p_views bigint, p_position integer,
  p_source text default null) returns void
language sql as $$
  insert into public.music_video_metrics as m (music_video_id, platform, views_total, chart_position, source, collected_at)
  values (p_video::uuid, p_platform::public.platform_enum, p_views, p_position, p_source, p_at)
  on conflict (music_video_id, platform, collected_at) do update
  set views_total = excluded.views_total, chart_position = excluded.chart_position, source = excluded.source,
      deleted_at = null
$$;
create function pg_temp.alerts(p_video text, p_kind text) returns bigint
language sql as $$
  select count(*) from public.music_video_alerts where music_video_id = p_video::uuid and kind = p_kind
$$;

-- KPI view target (1,000), judged on the views summed over platforms.
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'youtube', '2026-11-01', 600, null);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'kpi_target_reached'), 0::bigint,
  'below the target: no alert');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'mtv', '2026-11-01', 500, null);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'kpi_target_reached'), 1::bigint,
  'YouTube 600 + MTV 500 crosses 1,000: one alert');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'mtv', '2026-11-01', 500, null);
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'youtube', '2026-11-02', 900, null);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'kpi_target_reached'), 1::bigint,
  'a re-sync of the same data and further growth raise nothing more');
select is(
  (select jsonb_build_object('title', title, 'link_path', link_path, 'release_id', release_id,
                             'target', detail -> 'view_target', 'views', detail -> 'views_total')
   from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b1' and kind = 'kpi_target_reached'),
  jsonb_build_object('title', 'Reached the view target: 1,100 views (target 1,000)',
                     'link_path', '/releases/00000000-0000-4000-8000-0000000000a1/music-video',
                     'release_id', '00000000-0000-4000-8000-0000000000a1', 'target', 1000, 'views', 1100),
  'the alert carries the release, the deep-link path and the numbers'
);
update public.music_videos set kpi_view_target = 5000 where id = '42000000-0000-0000-0000-0000000000b1';
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'youtube', '2026-11-03', 4600, null);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'kpi_target_reached'), 2::bigint,
  'a raised target, once crossed, is a new alert');

-- Several cards in one statement (one card flush): a card that crosses, one already above its
-- target (its alert deleted: not raised again, the card was above before) and a video's first
-- card, created above its target.
insert into public.music_videos (id, release_id, title, kpi_view_target) values
  ('42000000-0000-0000-0000-0000000000c1', '00000000-0000-4000-8000-0000000000a1', 'Crosses', 1000),
  ('42000000-0000-0000-0000-0000000000c2', '00000000-0000-4000-8000-0000000000a1', 'Above', 1000),
  ('42000000-0000-0000-0000-0000000000c3', '00000000-0000-4000-8000-0000000000a1', 'First card', 1000);
select pg_temp.sample('42000000-0000-0000-0000-0000000000c1', 'youtube', '2026-11-01', 500, null);
select pg_temp.sample('42000000-0000-0000-0000-0000000000c2', 'youtube', '2026-11-01', 1500, null);
delete from public.music_video_alerts where music_video_id = '42000000-0000-0000-0000-0000000000c2';
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at) values
  ('42000000-0000-0000-0000-0000000000c1', 'youtube', 1200, '2026-11-02'),
  ('42000000-0000-0000-0000-0000000000c2', 'youtube', 1600, '2026-11-02'),
  ('42000000-0000-0000-0000-0000000000c3', 'youtube', 2000, '2026-11-02');
select is(
  (select jsonb_object_agg(v.title, a.detail -> 'views_before') from public.music_video_alerts as a
   inner join public.music_videos as v on v.id = a.music_video_id
   where a.kind = 'kpi_target_reached' and v.id in ('42000000-0000-0000-0000-0000000000c1',
     '42000000-0000-0000-0000-0000000000c2', '42000000-0000-0000-0000-0000000000c3')),
  '{"Crosses": 500, "First card": null}'::jsonb,
  'one statement over three cards: the crossing and the first card alert (views before: 500, none)');
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000c2', 'kpi_target_reached'), 0::bigint,
  'the card that was already above its target raises nothing, even with its alert gone');
select is(
  (select title from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000c3' and kind = 'kpi_target_reached'),
  'Reached the view target: 2,000 views (target 1,000)', 'the first card''s alert has the same title');

-- Charts (Billboard Hot 100 weeks): entry, peaks, a week lower, a re-sync, a re-entry.
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-09-07', null, 50, 'billboard_hot_100');
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'chart_entry'), 1::bigint, 'first charted week: chart entry');
select is(
  (select title from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b1' and kind = 'chart_entry'),
  'Entered Billboard Hot 100 at #50', 'the entry names the chart and the position'
);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'chart_new_peak'), 0::bigint,
  'the entry is not also a new peak');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-09-14', null, 40, 'billboard_hot_100');
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'chart_new_peak'), 1::bigint, '#50 then #40: new peak');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-09-21', null, 45, 'billboard_hot_100');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-09-21', null, 45, 'billboard_hot_100');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-09-14', null, 40, 'billboard_hot_100');
select is(
  (select count(*) from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b1' and kind like 'chart%'),
  2::bigint, 'a lower week and re-syncs of stored weeks raise nothing'
);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'chart_reentry'), 0::bigint, 'no re-entry without a gap');
-- two weeks off (no row for 09-28 and 10-05), back on 10-12 at #30
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-10-12', null, 30, 'billboard_hot_100');
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'chart_reentry'), 1::bigint, 'back after two weeks off: re-entry');
select is(
  (select title from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b1' and kind = 'chart_reentry'),
  'Back on Billboard Hot 100 at #30 after 2 weeks off', 'the re-entry says how long it was off'
);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'chart_new_peak'), 2::bigint, 'and #30 is a new peak too');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-10-12', null, 30, 'billboard_hot_100');
select pg_temp.sample('42000000-0000-0000-0000-0000000000b1', 'other', '2026-10-19', null, 30, 'billboard_hot_100');
select is(
  (select count(*) from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b1' and kind like 'chart%'),
  4::bigint, 'equalling the peak and re-syncing raise nothing'
);

-- A back-fill in one statement: its entry, and only the newest week's news.
insert into public.music_video_metrics (music_video_id, platform, chart_position, source, collected_at) values
  ('42000000-0000-0000-0000-0000000000b2', 'other', 80, 'spotify_global_weekly', '2026-08-03'),
  ('42000000-0000-0000-0000-0000000000b2', 'other', 60, 'spotify_global_weekly', '2026-08-10'),
  ('42000000-0000-0000-0000-0000000000b2', 'other', 70, 'spotify_global_weekly', '2026-08-17'),
  ('42000000-0000-0000-0000-0000000000b2', 'other', 65, 'spotify_global_weekly', '2026-09-07');
select is(
  (select array_agg(kind || ':' || (detail ->> 'position') order by kind) from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b2'),
  array['chart_entry:80', 'chart_reentry:65'],
  'back-filled history: the entry and the current re-entry, no alert for each old peak'
);

-- A source failing N = 3 syncs in a row (finished jobs, newest first).
insert into public.music_video_metric_imports (music_video_id, source, status, created_at, error_message)
values
  ('42000000-0000-0000-0000-0000000000b1', 'youtube', 'succeeded', '2026-11-01 00:00+00', null),
  ('42000000-0000-0000-0000-0000000000b1', 'youtube', 'failed', '2026-11-02 00:00+00', 'quota'),
  ('42000000-0000-0000-0000-0000000000b1', 'charts', 'failed', '2026-11-02 01:00+00', 'feed down');
insert into public.music_video_metric_imports (music_video_id, source, status, created_at, error_message)
values ('42000000-0000-0000-0000-0000000000b1', 'youtube', 'failed', '2026-11-03 00:00+00', 'quota');
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'source_failing'), 0::bigint,
  'two failures in a row (another source''s failure does not count): no alert');
-- the third arrives as a job that was pending and is then failed by the worker
insert into public.music_video_metric_imports (id, music_video_id, source, status, created_at)
values ('42000000-0000-0000-0000-0000000000e1', '42000000-0000-0000-0000-0000000000b1', 'youtube', 'pending',
        '2026-11-04 00:00+00');
update public.music_video_metric_imports set status = 'processing' where id = '42000000-0000-0000-0000-0000000000e1';
update public.music_video_metric_imports set status = 'failed', error_message = 'videos.list returned 500',
  completed_at = '2026-11-04 00:05+00' where id = '42000000-0000-0000-0000-0000000000e1';
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'source_failing'), 1::bigint, 'the third failure: one alert');
select is(
  (select title || ' / ' || (detail ->> 'last_error') from public.music_video_alerts
   where music_video_id = '42000000-0000-0000-0000-0000000000b1' and kind = 'source_failing'),
  'YouTube sync failed 3 times in a row / videos.list returned 500', 'it names the source and the last error'
);
insert into public.music_video_metric_imports (music_video_id, source, status, created_at)
values ('42000000-0000-0000-0000-0000000000b1', 'youtube', 'failed', '2026-11-05 00:00+00');
update public.music_video_metric_imports set error_message = 'x' where id = '42000000-0000-0000-0000-0000000000e1';
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'source_failing'), 1::bigint,
  'a fourth failure of the same streak raises nothing more');
insert into public.music_video_metric_imports (music_video_id, source, status, created_at)
select '42000000-0000-0000-0000-0000000000b1', 'youtube', s::public.import_status_enum,
       timestamptz '2026-11-06 00:00+00' + k * interval '1 day'
from unnest(array['succeeded', 'failed', 'failed', 'failed']) with ordinality as x (s, k);
select is(pg_temp.alerts('42000000-0000-0000-0000-0000000000b1', 'source_failing'), 2::bigint,
  'after a success, a new streak of three is a new alert');

-- Streamed to the app.
select ok(
  exists (select 1 from pg_publication_tables
          where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'music_video_alerts'),
  'alerts are in the supabase_realtime publication'
);

-- Who reads them (the matrix in 03 covers writes).
select is(
  tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
    $$select 1 from public.music_video_alerts where music_video_id = '42000000-0000-0000-0000-0000000000b1'$$),
  'ok:8', 'the owner reads the video''s eight alerts'
);
select is(
  tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
    $$select 1 from public.music_video_alerts$$),
  'ok:0', 'another user reads none'
);
select is(
  tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000c', true),
    $$select 1 from public.music_video_alerts where music_video_id = '42000000-0000-0000-0000-0000000000b1'$$),
  'ok:8', 'an admin reads them'
);

-- Marking read: only the owner, only read_at.
select is(
  tests.try_as('anon', '{"role": "anon"}',
    $$select public.mark_music_video_alert_read(id => '00000000-0000-4000-8000-000000000109')$$),
  'denied', 'anon cannot call mark_music_video_alert_read'
);
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000000b", "role": "authenticated"}', true);
select throws_ok(
  $$select public.mark_music_video_alert_read(id => '00000000-0000-4000-8000-000000000109')$$,
  'PT404', 'Alert not found', 'another user gets PT404'
);
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000000c", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
select throws_ok(
  $$select public.mark_music_video_alert_read(id => '00000000-0000-4000-8000-000000000109')$$,
  'PT404', 'Alert not found', 'an admin cannot clear an owner''s alert'
);
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);
select throws_ok(
  $$select public.mark_music_video_alert_read(id => 'nope')$$,
  'PT404', 'Alert not found', 'a malformed id is the same PT404'
);
select ok(
  (public.mark_music_video_alert_read(id => '00000000-0000-4000-8000-000000000109')).read_at is not null,
  'the owner marks an alert read'
);
select is(
  to_jsonb(public.mark_music_video_alert_read(id => '00000000-0000-4000-8000-000000000109', read => false)) -> 'read_at',
  'null'::jsonb, 'and unread again'
);
reset role;

select * from finish();
rollback;
