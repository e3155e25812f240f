-- DEMO DATA (see 00_users_and_releases.sql). What the workers would have written by now, as
-- they write it (the database owner, no JWT): finished import jobs, normalized metric samples,
-- chart positions, row errors. The database's own triggers turn that into card summaries,
-- odd-data flags and alerts (KPI reached, chart entry/peak/re-entry), as they do for real data.
-- Video ids come from 10_plans.sql (the demo.* settings of this transaction).
select pg_temp.demo_act_as('owner');

-- 1. The chart back-fills the submits queued (one charts job per plan with a chart target):
--    the worker has run them. The released videos' jobs found their chart runs (below); the
--    others found nothing yet.
update public.music_video_metric_imports as j
set
  status = 'succeeded',
  attempts = 1,
  started_at = least(v.submitted_at + interval '2 minutes', now()),
  completed_at = least(v.submitted_at + interval '3 minutes', now()),
  created_at = v.submitted_at,
  metadata = j.metadata || jsonb_build_object(
    'charts', jsonb_build_array(
      'billboard_hot_100', 'billboard_global_200', 'spotify_global_weekly',
      'apple_music_top_100'
    ),
    'as_of', (v.submitted_at at time zone 'UTC')::date,
    'weeks_matched', 0, 'chart_positions', 0, 'demo', true
  )
from public.music_videos as v
where
  j.music_video_id = v.id and j.source = 'charts' and j.status = 'pending'
  and v.release_id in ('d3e0d3e0-0000-4000-8000-0000000000a1', 'd3e0d3e0-0000-4000-8000-0000000000a2');

-- One YouTube sync job per released video, finished last night (the card's "last synced").
insert into public.music_video_metric_imports (
  music_video_id, platform, source, status, attempts, started_at, completed_at, created_at, run_after, metadata
)
select
  v.id,
  'youtube' as platform,
  'youtube' as source,
  'succeeded' as status,
  1 as attempts,
  current_date - 1 + time '03:00:05' as started_at,
  current_date - 1 + time '03:00:07' as completed_at,
  current_date - 1 + time '03:00' as created_at,
  current_date - 1 + time '03:00' as run_after,
  jsonb_build_object('trigger', 'schedule', 'samples', 1, 'demo', true) as metadata
from public.music_videos as v
where v.id in (current_setting('demo.midnight_signal')::uuid, current_setting('demo.coastline')::uuid);

-- 2. A year of daily YouTube totals for the released videos (collected every morning at 06:00
--    UTC, from release day to yesterday). Daily new views decay from the launch burst
--    (burst * exp(-day / decay)) to a steady catalogue tail, with a weekend lift and a little
--    deterministic noise; Midnight Signal also has a three-day TikTok spike around day 290.
--    The totals are running sums, so they never go down; likes and comments follow the views.
with curve (video, burst, decay, tail, likes_per_view, comments_per_view) as (
  values
  ('midnight_signal', 60000.0, 30.0, 15000.0, 0.032, 0.0021),
  ('coastline', 15000.0, 20.0, 3500.0, 0.041, 0.0034)
),

days as (
  select
    c.likes_per_view,
    c.comments_per_view,
    d.n,
    current_setting('demo.' || c.video)::uuid as music_video_id,
    (c.burst * exp(-d.n / c.decay) + c.tail)
    * (case when extract(isodow from current_date - 365 + d.n) in (6, 7) then 1.18 else 1.0 end)
    * (0.9 + ((d.n * 7919) % 97) / 485.0)
    * (case when c.video = 'midnight_signal' and d.n between 289 and 291 then 6 else 1 end) as new_views
  from curve as c
  cross join generate_series(0, 364) as d (n)
),

totals as (
  select
    music_video_id,
    n,
    likes_per_view,
    comments_per_view,
    round(sum(new_views) over (partition by music_video_id order by n))::bigint as views_total
  from days
)

insert into public.music_video_metrics (
  music_video_id, platform, source, collected_at, synced_at, views_total, likes_total, comments_total,
  favorites_total, external_reference, detail
)
select
  t.music_video_id,
  'youtube' as platform,
  'youtube' as source,
  (current_date - 365 + t.n) + time '06:00' as collected_at,
  (current_date - 365 + t.n) + time '06:00:02' as synced_at,
  t.views_total,
  round(t.views_total * t.likes_per_view)::bigint as likes_total,
  round(t.views_total * t.comments_per_view)::bigint as comments_total,
  0 as favorites_total,
  p.external_id,
  '{}'::jsonb
from totals as t
inner join public.music_video_platform_targets as p on t.music_video_id = p.music_video_id and p.platform = 'youtube';

-- 3. Chart runs: weekly positions per chart (music_video_chart_positions, as the charts worker
--    writes them) and, per chart week, the best position among the charts as the week's chart
--    sample (platform 'other', source = that chart), which is what the chart alerts read.
create temporary table demo_chart_runs on commit drop as
select
  current_setting('demo.' || r.video)::uuid as music_video_id,
  r.chart,
  (date_trunc('week', current_date - 365 + 7)::date + 7 * w.week_no::integer) as week_start,
  w.rank_ as chart_rank,
  r.matched_by
from (
  values
  (
    'midnight_signal', 'billboard_hot_100', 'isrc',
    array[42, 30, 22, 17, 13, 11, 12, 15, 19, 24, 31, 40, 52, 66, 79, 95]
  ),
  (
    'midnight_signal', 'spotify_global_weekly', 'spotify_track_uri',
    array[58, 44, 35, 29, 25, 23, 24, 27, 33, 41, 52, 64, 77, 90, 104, 118, 131, 150, 166, 180]
  ),
  ('midnight_signal', 'apple_music_top_100', 'apple_music_id', array[15, 8, 5, 4, 6, 9, 15, 24, 41, 70]),
  ('coastline', 'spotify_global_weekly', 'spotify_track_uri', array[120, 96, 81, 64, 72, 98, 125, 150])
) as r (video, chart, matched_by, ranks)
cross join lateral unnest(r.ranks) with ordinality as w (rank_, week_no)
union all
-- The TikTok spike brought Midnight Signal back onto the Hot 100 for a week: a re-entry.
select
  current_setting('demo.midnight_signal')::uuid as music_video_id,
  'billboard_hot_100' as chart,
  date_trunc('week', current_date - 365 + 291)::date + 7 as week_start,
  88 as chart_rank,
  'isrc' as matched_by;

insert into public.music_video_chart_positions (
  music_video_id, chart, week_start, chart_rank, feed_peak_rank, feed_previous_rank, feed_weeks_on_chart,
  matched_by, import_batch_id
)
select
  r.music_video_id,
  r.chart,
  r.week_start,
  r.chart_rank,
  min(r.chart_rank) over w as feed_peak_rank,
  -- as the feeds state it: last week's rank, empty for a debut or a re-entry
  case when lag(r.week_start) over w = r.week_start - 7 then lag(r.chart_rank) over w end as feed_previous_rank,
  count(*) over w as feed_weeks_on_chart,
  r.matched_by,
  (
    select j.id from public.music_video_metric_imports as j
    where j.music_video_id = r.music_video_id and j.source = 'charts'
    order by j.created_at limit 1
  ) as import_batch_id
from demo_chart_runs as r
window w as (partition by r.music_video_id, r.chart order by r.week_start);

insert into public.music_video_metrics (
  music_video_id, platform, source, collected_at, synced_at, chart_position, import_batch_id, detail
)
select distinct on (r.music_video_id, r.week_start)
  r.music_video_id,
  'other' as platform,
  r.chart,
  r.week_start::timestamp at time zone 'UTC' as collected_at,
  now() as synced_at,
  r.chart_rank,
  (
    select j.id from public.music_video_metric_imports as j
    where j.music_video_id = r.music_video_id and j.source = 'charts'
    order by j.created_at limit 1
  ) as import_batch_id,
  jsonb_build_object('matched_by', r.matched_by, 'chart', r.chart, 'week_start', r.week_start) as detail
from demo_chart_runs as r
order by r.music_video_id, r.week_start, r.chart_rank;

update public.music_video_metric_imports as j
set
  metadata = j.metadata || jsonb_build_object(
    'weeks_matched', (
      select count(distinct r.week_start) from demo_chart_runs as r
      where r.music_video_id = j.music_video_id
    ),
    'chart_positions', (
      select count(*) from demo_chart_runs as r
      where r.music_video_id = j.music_video_id
    )
  )
where j.source = 'charts' and j.music_video_id in (
  current_setting('demo.midnight_signal')::uuid, current_setting('demo.coastline')::uuid
);

-- 4. A TV broadcast import with a few failed rows. The demo user uploads MTV's weekly CSV for
--    Midnight Signal and asks for the import (the RPC), as the app does ...
select pg_temp.demo_act_as('authenticated', 'd3e0d3e0-0000-4000-8000-000000000001', 'demo@example.com');
-- The upload is Storage's row in storage.objects, written under the user's JWT as the Storage
-- API does (the bucket's policies judge it). Only the row: the file's bytes are not part of the
-- demo, so the finished job below is never re-run. The row outlives a reload (Storage refuses
-- direct deletes); a reload finds it in place.
insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
values (
  'music-video-broadcast-imports', 'd3e0d3e0-0000-4000-8000-0000000000a1/mtv-push-airplay-weeks-1-3.csv',
  'd3e0d3e0-0000-4000-8000-000000000001', 'd3e0d3e0-0000-4000-8000-000000000001',
  '{"size": 912, "mimetype": "text/csv", "cacheControl": "max-age=3600", "contentLength": 912}'
)
on conflict (bucket_id, name) do nothing;
select set_config('demo.tv_import', pg_temp.demo_rpc('import_broadcast_metrics', jsonb_build_object(
  'music_video_id', current_setting('demo.midnight_signal'), 'platform', 'mtv',
  'object_path', 'd3e0d3e0-0000-4000-8000-0000000000a1/mtv-push-airplay-weeks-1-3.csv',
  'mapping', jsonb_build_object(
    'air_date', 'Air Date', 'program', 'Programme', 'viewers', 'Viewers (000s)',
    'viewers_scale', 1000
  )
)) #>> '{}', true);
select pg_temp.demo_act_as('owner');

-- ... and the broadcast worker has read it: 21 rows, 3 refused (their line, column, raw value
-- and reason, as music_video_import_errors lists them), the other days stored.
insert into public.music_video_import_row_errors (import_id, music_video_id, line, column_name, raw_value, reason)
values
(
  current_setting('demo.tv_import')::uuid, current_setting('demo.midnight_signal')::uuid, 7, 'Viewers (000s)',
  'approx. 410', 'not a number'
),
(
  current_setting('demo.tv_import')::uuid, current_setting('demo.midnight_signal')::uuid, 12, 'Air Date',
  'Mar 12', 'date has no year'
),
(
  current_setting('demo.tv_import')::uuid, current_setting('demo.midnight_signal')::uuid, 19, 'Viewers (000s)',
  '-85', 'negative viewer count'
);

insert into public.music_video_metrics (
  music_video_id, platform, source, collected_at, synced_at, views_total, external_reference, import_batch_id, detail
)
select
  current_setting('demo.midnight_signal')::uuid as music_video_id,
  'mtv' as platform,
  'broadcast:d3e0d3e0-0000-4000-8000-0000000000a1/mtv-push-airplay-weeks-1-3.csv' as source,
  (current_date - 365 + d.n)::timestamp at time zone 'UTC' as collected_at,
  now() - interval '300 days' as synced_at,
  d.viewers,
  'd3e0d3e0-0000-4000-8000-0000000000a1/mtv-push-airplay-weeks-1-3.csv' as external_reference,
  current_setting('demo.tv_import')::uuid as import_batch_id,
  jsonb_build_object(
    'programs', jsonb_build_object('MTV Push', d.viewers), 'airings', 1,
    'file', 'd3e0d3e0-0000-4000-8000-0000000000a1/mtv-push-airplay-weeks-1-3.csv',
    'bucket', 'music-video-broadcast-imports'
  ) as detail
from (
  select
    g.n,
    (520000 - g.n * 14000 + (g.n * 7919 % 41) * 1000)::bigint as viewers
  from generate_series(1, 18) as g (n)
) as d;

update public.music_video_metric_imports
set
  status = 'partially_failed',
  attempts = 1,
  created_at = now() - interval '300 days',
  started_at = now() - interval '300 days' + interval '4 seconds',
  completed_at = now() - interval '300 days' + interval '6 seconds',
  error_message = '3 of 21 rows failed (14.3%); the other rows were imported',
  metadata = metadata || jsonb_build_object(
    'file', jsonb_build_object(
      'bucket', 'music-video-broadcast-imports',
      'path', 'd3e0d3e0-0000-4000-8000-0000000000a1/mtv-push-airplay-weeks-1-3.csv'
    ),
    'engine', 'duckdb',
    'stats', jsonb_build_object(
      'rows_seen', 21, 'rows_ok', 18, 'rows_failed', 3, 'rows_skipped', 0,
      'skipped_missing', 0, 'values_ok', 18, 'errors', 3, 'blank_lines', 0, 'delimiter', ','
    ),
    'days', 18, 'error_ratio', 0.142857, 'max_error_ratio', 0.5, 'row_errors', 3,
    'row_errors_preview', (
      select
        jsonb_agg(
          jsonb_build_object(
            'line', e.line, 'column', e.column_name, 'value', e.raw_value,
            'reason', e.reason
          ) order by e.line
        )
      from public.music_video_import_row_errors as e
      where e.import_id = current_setting('demo.tv_import')::uuid
    ),
    'samples_built', 18, 'demo', true
  )
where id = current_setting('demo.tv_import')::uuid;

-- 5. A metric override: the partner's corrected report for one day, entered through the RPC by
--    the operations team (the service role; admins can too), with its reason in the audit trail.
select pg_temp.demo_act_as('service_role');
select pg_temp.demo_rpc('override_music_video_metric', jsonb_build_object(
  'metric_id', (
    select m.id::text from public.music_video_metrics as m
    where m.import_batch_id = current_setting('demo.tv_import')::uuid
    order by m.collected_at limit 1 offset 4
  ),
  'views_total', 498000,
  'reason', 'MTV''s corrected weekly report: the repeat airing at 02:00 was missing'
));
select pg_temp.demo_act_as('owner');

-- 6. History: the status changes happened over the past year, not all at load time; the rows
--    the status trigger wrote get the dates the plan implies. The videos' created_at likewise.
update public.music_video_status_history as h
set
  changed_at = case h.to_status
    when 'draft' then coalesce(v.submitted_at, now()) - interval '3 days'
    when 'planned' then coalesce(v.submitted_at, now())
    when 'in_production' then v.shoot_start_date + time '07:00'
    when 'post_production' then v.shoot_end_date + time '19:00'
    when 'released' then v.target_release_date + time '16:00'
    when 'archived' then now() - interval '30 days'
  end
from public.music_videos as v
where
  h.music_video_id = v.id
  and v.release_id in ('d3e0d3e0-0000-4000-8000-0000000000a1', 'd3e0d3e0-0000-4000-8000-0000000000a2')
  and v.status <> 'draft';

update public.music_videos
set created_at = coalesce(submitted_at, now() - interval '5 days') - interval '3 days'
where release_id in ('d3e0d3e0-0000-4000-8000-0000000000a1', 'd3e0d3e0-0000-4000-8000-0000000000a2');

-- 7. The demo user has read the oldest alert already (mark_music_video_alert_read, as the bell does).
select pg_temp.demo_act_as('authenticated', 'd3e0d3e0-0000-4000-8000-000000000001', 'demo@example.com');
select pg_temp.demo_rpc('mark_music_video_alert_read', jsonb_build_object(
  'id', (
    select a.id::text from public.music_video_alerts as a
    order by a.occurred_at, a.id limit 1
  ), 'read', true
));
select pg_temp.demo_act_as('owner');
