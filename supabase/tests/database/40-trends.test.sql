-- music_video_trends(): daily deltas, the 7-day velocity and the KPI projection on synthetic
-- series with known answers (linear, flat, decreasing, gaps), soft-deleted rows, the days bound,
-- the platform filter, and access (owner, other user, admin, anon, service role).
-- Samples are placed relative to today (UTC midnight), because the window ends today.
begin;
select plan(41);

insert into auth.users (id, email) values
  ('40000000-0000-0000-0000-000000000001', 'owner40@example.test'),
  ('40000000-0000-0000-0000-000000000002', 'stranger40@example.test');
insert into public.releases (id, user_id, title) values
  ('40000000-0000-0000-0000-0000000000aa', '40000000-0000-0000-0000-000000000001', 'Forty');
insert into public.music_videos (id, release_id, title, kpi_view_target) values
  ('40000000-0000-0000-0000-0000000000b1', '40000000-0000-0000-0000-0000000000aa', 'Linear', 100000),
  ('40000000-0000-0000-0000-0000000000b2', '40000000-0000-0000-0000-0000000000aa', 'Flat', 10000),
  ('40000000-0000-0000-0000-0000000000b3', '40000000-0000-0000-0000-0000000000aa', 'Decreasing', 10000),
  ('40000000-0000-0000-0000-0000000000b4', '40000000-0000-0000-0000-0000000000aa', 'Gap', 1000000),
  ('40000000-0000-0000-0000-0000000000b5', '40000000-0000-0000-0000-0000000000aa', 'Uneven', null),
  ('40000000-0000-0000-0000-0000000000b6', '40000000-0000-0000-0000-0000000000aa', 'Reached', 1000),
  ('40000000-0000-0000-0000-0000000000b7', '40000000-0000-0000-0000-0000000000aa', 'One sample', 1000);

create function pg_temp.day0() returns timestamptz language sql stable as $$
  select (now() at time zone 'UTC')::date::timestamp at time zone 'UTC'
$$;

-- Linear: 10,000 + 1,000 a day for 30 days up to today (YouTube), and a weekly MTV series: TV
-- samples are one air date's audience (0, 700, 1,400, 2,100, 2,800: 7,000 viewers to date), not a
-- running count (20261202020200).
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
select '40000000-0000-0000-0000-0000000000b1', 'youtube', 10000 + 1000 * i, pg_temp.day0() - (29 - i) * interval '1 day'
from generate_series(0, 29) as i;
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
select '40000000-0000-0000-0000-0000000000b1', 'mtv', 700 * i, pg_temp.day0() - (28 - 7 * i) * interval '1 day'
from generate_series(0, 4) as i;
-- a soft-deleted sample that must not count anywhere
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at, deleted_at)
values ('40000000-0000-0000-0000-0000000000b1', 'youtube', 999999999, pg_temp.day0() + interval '1 hour', now());
-- Flat: 5,000 for 10 days. Decreasing: 9,000 - 500 a day for 10 days.
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
select '40000000-0000-0000-0000-0000000000b2', 'youtube', 5000, pg_temp.day0() - (9 - i) * interval '1 day'
from generate_series(0, 9) as i;
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at)
select '40000000-0000-0000-0000-0000000000b3', 'youtube', 9000 - 500 * i, pg_temp.day0() - (9 - i) * interval '1 day'
from generate_series(0, 9) as i;
-- Gap: samples 20 and 10 days ago and today, nothing in the last 7 days before today.
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at) values
  ('40000000-0000-0000-0000-0000000000b4', 'youtube', 2000, pg_temp.day0() - interval '20 days'),
  ('40000000-0000-0000-0000-0000000000b4', 'youtube', 12000, pg_temp.day0() - interval '10 days'),
  ('40000000-0000-0000-0000-0000000000b4', 'youtube', 22000, pg_temp.day0());
-- Uneven timestamps: 7 days, 2.5 days and 0 days before today at noon; two samples on one day.
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at) values
  ('40000000-0000-0000-0000-0000000000b5', 'youtube', 100, pg_temp.day0() - interval '7 days'),
  ('40000000-0000-0000-0000-0000000000b5', 'youtube', 550, pg_temp.day0() - interval '2 days 12 hours'),
  ('40000000-0000-0000-0000-0000000000b5', 'youtube', 560, pg_temp.day0() - interval '2 days 6 hours'),
  ('40000000-0000-0000-0000-0000000000b5', 'youtube', 800, pg_temp.day0());
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at) values
  ('40000000-0000-0000-0000-0000000000b6', 'youtube', 500, pg_temp.day0() - interval '1 day'),
  ('40000000-0000-0000-0000-0000000000b6', 'youtube', 1500, pg_temp.day0()),
  ('40000000-0000-0000-0000-0000000000b7', 'youtube', 10, pg_temp.day0());

-- Access.
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1')$$,
  '42501', 'permission denied for function music_video_trends', 'anon gets permission denied'
);
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "40000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1')$$,
  'PT404', 'Music video not found', 'another user gets PT404'
);
select set_config('request.jwt.claims',
  '{"sub": "40000000-0000-0000-0000-000000000003", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1')$$,
  'PT404', 'Music video not found', 'an admin gets PT404 for a video that is not theirs (as the history RPC)'
);

select set_config('request.jwt.claims',
  '{"sub": "40000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.music_video_trends(id => 'not-a-uuid')$$,
  'PT404', 'Music video not found', 'a malformed id is the same PT404'
);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1', days => 0)$$,
  '22023', 'days must be a whole number from 1 to 1095 (three years)', 'days 0 is refused'
);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1', days => 1096)$$,
  '22023', 'days must be a whole number from 1 to 1095 (three years)', 'days above 1095 is refused'
);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1', days => null)$$,
  '22023', 'days must be a whole number from 1 to 1095 (three years)', 'days null is refused'
);
select throws_ok(
  $$select * from public.music_video_trends(id => '40000000-0000-0000-0000-0000000000b1', platforms => '{myspace}')$$,
  '22P02', null, 'an unknown platform is refused by the parameter type'
);
create function pg_temp.error_detail(p_sql text) returns jsonb language plpgsql as $$
declare
  v_detail text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail::jsonb;
end
$$;
select is(
  pg_temp.error_detail($$select * from public.music_video_trends(
    id => '40000000-0000-0000-0000-0000000000b1', days => 5000)$$),
  '{"problems": [{"field": "days", "code": "out_of_range", "message": "days must be a whole number from 1 to 1095 (three years)"}]}'::jsonb,
  'the problem is named in detail'
);

-- The rows folded back into one document per video ({kpi, platforms: [{platform, latest,
-- velocity_7d, series, flagged, flagged_days}]}), so the checks below read the same values the
-- rows carry; the KPI columns must be the same on every row.
create function pg_temp.trends_doc(
  p_id text, p_days integer default 90, p_platforms public.platform_enum[] default null
) returns jsonb language sql as $$
  select jsonb_build_object(
    'kpi', (
      select jsonb_build_object(
        'view_target', min(r.kpi_view_target), 'views_total', min(r.kpi_views_total),
        'velocity_7d', min(r.kpi_velocity_7d), 'latest_at', min(r.kpi_latest_at), 'state', min(r.kpi_state),
        'views_remaining', min(r.kpi_views_remaining), 'days_to_target', min(r.kpi_days_to_target),
        'projected_on', min(r.kpi_projected_on))
      having count(distinct (r.kpi_views_total, r.kpi_state, r.kpi_velocity_7d)) <= 1
    ),
    'platforms', coalesce(jsonb_agg(jsonb_build_object(
      'platform', r.platform,
      'latest', case when r.latest_at is not null then
        jsonb_build_object('collected_at', r.latest_at, 'views_total', r.latest_views) end,
      'velocity_7d', case when r.velocity_from is not null then jsonb_build_object(
        'views_per_day', r.velocity_views_per_day, 'views_gained', r.velocity_views_gained,
        'from', r.velocity_from, 'to', r.velocity_to, 'span_days', r.velocity_span_days) end,
      'series', jsonb_strip_nulls(jsonb_build_object(
        'dates', to_jsonb(r.dates), 'views_total', to_jsonb(r.views_total), 'delta', to_jsonb(r.delta),
        'gap_days', to_jsonb(r.gap_days), 'per_day', to_jsonb(r.per_day),
        'chart_position', to_jsonb(r.chart_position), 'source', to_jsonb(r.source))),
      'flagged', r.flagged,
      'flagged_days', r.flagged_days
    ) order by r.platform), '[]'::jsonb)
  )
  from public.music_video_trends(id => p_id, days => p_days, platforms => p_platforms) as r
$$;
select is(
  pg_get_function_result('public.music_video_trends'::regproc), 'SETOF music_video_trend',
  'the trends return typed rows, one per platform'
);

create temp table t on commit drop as
select v.id, pg_temp.trends_doc(v.id::text, 10) as b
from public.music_videos as v
where v.release_id = '40000000-0000-0000-0000-0000000000aa';
create temp table yt on commit drop as
select t.id, p as plat
from t, jsonb_array_elements(t.b -> 'platforms') as p
where p ->> 'platform' = 'youtube';

-- Linear.
select is(
  (select jsonb_array_length(plat -> 'series' -> 'dates') from yt where id = '40000000-0000-0000-0000-0000000000b1'),
  10, 'linear: days => 10 gives ten daily points'
);
select is(
  (select plat -> 'series' -> 'delta' from yt where id = '40000000-0000-0000-0000-0000000000b1'),
  to_jsonb(array_fill(1000, array[10])), 'linear: every daily delta is 1,000, the first one against the day before the window'
);
select is(
  (select plat -> 'velocity_7d' ->> 'views_per_day' from yt where id = '40000000-0000-0000-0000-0000000000b1'),
  '1000.00', 'linear: velocity 1,000 views a day'
);
select is(
  (select plat -> 'latest' ->> 'views_total' from yt where id = '40000000-0000-0000-0000-0000000000b1'),
  '39000', 'linear: the soft-deleted sample is not the latest'
);
select is(
  (select b -> 'kpi' ->> 'views_total' from t where id = '40000000-0000-0000-0000-0000000000b1'),
  '46000', 'linear: the KPI counts every platform (39,000 YouTube + 7,000 MTV viewers to date)'
);
-- YouTube 1,000/day + MTV 2,800 viewers in the 7 days = 1,400/day; 54,000 to go: 38.57 days.
select is(
  (select b -> 'kpi' ->> 'velocity_7d' from t where id = '40000000-0000-0000-0000-0000000000b1'),
  '1400.00', 'linear: the KPI velocity sums the platforms'
);
select is(
  (select b -> 'kpi' ->> 'state' from t where id = '40000000-0000-0000-0000-0000000000b1'),
  'on_pace', 'linear: on pace'
);
select is(
  (select (b -> 'kpi' ->> 'projected_on')::date from t where id = '40000000-0000-0000-0000-0000000000b1'),
  (now() at time zone 'UTC')::date + 38, 'linear: projected 38.6 days after today'
);
select is(
  (select b -> 'kpi' ->> 'days_to_target' from t where id = '40000000-0000-0000-0000-0000000000b1'),
  '38.57', 'linear: days to target'
);
-- The MTV series: each day's audience is what the day added (no difference of two audiences).
select is(
  (select jsonb_build_object('views_total', p -> 'series' -> 'views_total', 'delta', p -> 'series' -> 'delta',
     'velocity', p -> 'velocity_7d' -> 'views_gained', 'flagged_days', p -> 'flagged_days')
   from jsonb_array_elements(pg_temp.trends_doc('40000000-0000-0000-0000-0000000000b1', 30) -> 'platforms') as p
   where p ->> 'platform' = 'mtv'),
  '{"views_total": [0, 700, 1400, 2100, 2800], "delta": [0, 700, 1400, 2100, 2800], "velocity": 2800,
    "flagged_days": 0}'::jsonb,
  'TV: the day''s audience is its point and its delta; the velocity sums the audiences since the base; no flags'
);
select is(
  (select array_agg(p ->> 'platform' order by o) from t, jsonb_array_elements(t.b -> 'platforms') with ordinality as x (p, o)
   where id = '40000000-0000-0000-0000-0000000000b1'),
  array['youtube', 'mtv'], 'linear: one entry per platform in enum order'
);

-- Flat and decreasing.
select is(
  (select plat -> 'velocity_7d' ->> 'views_per_day' from yt where id = '40000000-0000-0000-0000-0000000000b2'),
  '0.00', 'flat: velocity 0'
);
select is(
  (select b -> 'kpi' ->> 'state' from t where id = '40000000-0000-0000-0000-0000000000b2'),
  'not_at_this_pace', 'flat: not at this pace'
);
select is(
  (select b -> 'kpi' -> 'projected_on' from t where id = '40000000-0000-0000-0000-0000000000b2'),
  'null'::jsonb, 'flat: no projected date'
);
select is(
  (select plat ->> 'flagged_days' from yt where id = '40000000-0000-0000-0000-0000000000b2'),
  '8', 'flat: the 3rd to 10th samples are flagged frozen (3 syncs unchanged)'
);
select is(
  (select plat -> 'velocity_7d' ->> 'views_per_day' from yt where id = '40000000-0000-0000-0000-0000000000b3'),
  '-500.00', 'decreasing: velocity -500'
);
select is(
  (select b -> 'kpi' ->> 'state' from t where id = '40000000-0000-0000-0000-0000000000b3'),
  'not_at_this_pace', 'decreasing: not at this pace'
);
select is(
  (select plat -> 'flagged' -> -1 from yt where id = '40000000-0000-0000-0000-0000000000b3'),
  jsonb_build_object('date', (now() at time zone 'UTC')::date, 'flags', '["views_decreased"]'::jsonb),
  'decreasing: the flagged days are listed with their flags'
);

-- Gaps.
select is(
  (select plat -> 'velocity_7d' from yt where id = '40000000-0000-0000-0000-0000000000b4') - 'from' - 'to',
  '{"views_per_day": 1000.00, "views_gained": 10000, "span_days": 10.00}'::jsonb,
  'gap: no sample in the last 7 days, so the velocity spans the 10 days to the previous sample'
);
select is(
  (select jsonb_build_array(plat -> 'series' -> 'delta', plat -> 'series' -> 'gap_days', plat -> 'series' -> 'per_day')
   from yt where id = '40000000-0000-0000-0000-0000000000b4'),
  '[[10000], [10], [1000.00]]'::jsonb,
  'gap: the window''s one point spans the 10 days back to the previous sample, with the gain per day'
);
select is(
  (select b -> 'kpi' ->> 'projected_on' from t where id = '40000000-0000-0000-0000-0000000000b4'),
  to_char((now() at time zone 'UTC')::date + 978, 'YYYY-MM-DD'), 'gap: 978 days to go at 1,000 a day'
);
select is(
  (select plat -> 'velocity_7d' ->> 'views_per_day' from yt where id = '40000000-0000-0000-0000-0000000000b5'),
  '100.00', 'uneven: (800 - 100) / 7 days from the real timestamps'
);
select is(
  (select plat -> 'series' -> 'views_total' from yt where id = '40000000-0000-0000-0000-0000000000b5'),
  '[100, 560, 800]'::jsonb, 'uneven: a day with two samples shows its last one'
);
select is(
  (select b -> 'kpi' ->> 'state' from t where id = '40000000-0000-0000-0000-0000000000b5'),
  'no_target', 'no KPI target: no_target'
);
select is(
  (select b -> 'kpi' ->> 'state' from t where id = '40000000-0000-0000-0000-0000000000b6'),
  'reached', 'views above the target: reached'
);
select is(
  (select (b -> 'kpi' ->> 'state') || ':' || (plat ->> 'velocity_7d' is null)::text
   from t join yt using (id) where id = '40000000-0000-0000-0000-0000000000b7'),
  'insufficient_data:true', 'a single sample: no velocity, insufficient data'
);

-- Filters and bounds.
select is(
  (select jsonb_agg(p ->> 'platform') from jsonb_array_elements(pg_temp.trends_doc(
    '40000000-0000-0000-0000-0000000000b1', p_platforms => '{mtv}') -> 'platforms') as p),
  '["mtv"]'::jsonb, 'the platform filter narrows the series'
);
select is(
  (pg_temp.trends_doc('40000000-0000-0000-0000-0000000000b1', p_platforms => '{mtv}') -> 'kpi' ->> 'views_total'),
  '46000', 'and the KPI still counts every platform'
);
select is(
  (select jsonb_array_length(p -> 'series' -> 'dates') from jsonb_array_elements(pg_temp.trends_doc(
    '40000000-0000-0000-0000-0000000000b1', 1) -> 'platforms') as p where p ->> 'platform' = 'youtube'),
  1, 'days => 1 is today only'
);
select is(
  (select jsonb_array_length(p -> 'series' -> 'dates') from jsonb_array_elements(pg_temp.trends_doc(
    '40000000-0000-0000-0000-0000000000b1', 1095) -> 'platforms') as p where p ->> 'platform' = 'youtube'),
  30, 'days => 1095 is allowed and returns every daily sample'
);

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (pg_temp.trends_doc('40000000-0000-0000-0000-0000000000b1') -> 'kpi' ->> 'views_total'),
  '46000', 'the service role reads the trends'
);
reset role;

select * from finish();
rollback;
