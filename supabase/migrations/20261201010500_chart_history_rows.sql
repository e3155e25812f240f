-- music_video_chart_history as typed rows (issue 12, sections 1-2): the MetricsPanel "chart
-- status" read returned one jsonb document {summary..., weeks: [...]}. It now returns one row
-- per chart week (public.music_video_chart_week), newest first, from the first to the last
-- charted week (weeks without a row are on_chart = false, so drops and re-entries show), each
-- row carrying the run's summary (peak, weeks on and off chart, the current entry kind and
-- position, "since debut" figures), the same on every row. No charted week: no row. The rules
-- are those of 20261130200200 (per-chart positions, the feed's figures only when consistent);
-- they now live in private.music_video_chart_weeks, and private.music_video_chart_history (the
-- reports' jsonb form, keys unchanged) is built from its rows.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create type public.music_video_chart_week as (
  -- the chart week's Monday
  week_start date,
  on_chart boolean,
  -- the best rank of the charts asked for that week, and that chart's id (null off chart)
  chart_position integer,
  chart text,
  -- new, continuing or re_entry; null off chart
  entry_kind text,
  -- the chart metric row of that week, the import that wrote it, the per-chart position row
  metric_id uuid,
  import_batch_id uuid,
  position_id uuid,
  -- the chart feed's own figures for that week, and whether they agree with our stored history
  -- (used only when one chart is asked for)
  feed_peak_rank integer,
  feed_previous_rank integer,
  feed_weeks_on_chart integer,
  feed_consistent boolean,
  -- the run's summary, the same on every row
  first_week date,
  last_week date,
  peak_position integer,
  peak_week date,
  weeks_on_chart integer,
  weeks_off_chart integer,
  -- the entry kind of the latest entry (new or re_entry) and the latest week's position
  current_entry_kind text,
  current_position integer,
  -- "per the chart, since debut": the feed's peak and weeks of the latest charted week when
  -- consistent (source 'chart'), else those derived from stored history ('stored_history')
  since_debut_peak_position integer,
  since_debut_weeks_on_chart integer,
  since_debut_source text
);
grant usage on type public.music_video_chart_week to authenticated, service_role;

-- The chart weeks of a video (one home of the chart-run rules). PT404 when the caller may not
-- see the video; 22023 for an unknown chart id.
create or replace function private.music_video_chart_weeks(p_music_video_id uuid, p_chart text)
returns setof public.music_video_chart_week
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if p_music_video_id is null
     or not ((select private.is_admin())
             or private.can_access_video(p_music_video_id)) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;
  if p_chart is not null and not exists (select 1 from public.music_video_chart_sources as c where c.id = p_chart) then
    perform private.raise_bad_argument('chart', 'unknown_chart',
      'Unknown chart: ' || p_chart || '; use an id from music_video_chart_sources, e.g. billboard_hot_100.');
  end if;

  return query
  with positions as (
    select
      p.week_start as week, p.chart_rank as chart_position, p.chart as source, p.id as position_id,
      p.import_batch_id, p.feed_peak_rank, p.feed_previous_rank, p.feed_weeks_on_chart
    from public.music_video_chart_positions as p
    where p.music_video_id = p_music_video_id
      and p.deleted_at is null
      and (p_chart is null or p.chart = p_chart)
    union all
    -- a chart metric row written without a position (an admin's direct insert): its own chart
    -- and rank still count, unless a position (live or rolled back) exists for that week
    select
      w.week, m.chart_position, m.source, null::uuid, m.import_batch_id, null::integer, null::integer,
      null::integer
    from public.music_video_metrics as m
    cross join lateral (select (date_trunc('week', m.collected_at at time zone 'utc'))::date as week) as w
    where m.music_video_id = p_music_video_id
      and m.platform = 'other'
      and m.deleted_at is null
      and m.chart_position is not null
      and m.source in (select c.id from public.music_video_chart_sources as c)
      and (p_chart is null or m.source = p_chart)
      and not exists (
        select 1 from public.music_video_chart_positions as p2
        where p2.music_video_id = m.music_video_id and p2.chart = m.source and p2.week_start = w.week
      )
  ),
  charted as (
    -- one row per week: the chart asked for, or the best rank among all charts
    select distinct on (po.week) po.*
    from positions as po
    order by po.week asc, po.chart_position asc, po.source asc
  ),
  span as (
    select min(ch.week) as first_week, max(ch.week) as last_week from charted as ch
  ),
  weeks as (
    select
      g.week::date as week,
      ch.chart_position,
      ch.source,
      ch.position_id,
      ch.import_batch_id,
      ch.feed_peak_rank,
      ch.feed_previous_rank,
      ch.feed_weeks_on_chart,
      ch.week is not null as on_chart
    from span as s
    cross join lateral generate_series(s.first_week, s.last_week, interval '7 days') as g (week)
    left join charted as ch on ch.week = g.week::date
  ),
  running as (
    select
      wk.*,
      lag(wk.on_chart) over (order by wk.week) as prev_on_chart,
      min(wk.chart_position) over (order by wk.week) as stored_peak_so_far,
      count(*) filter (where wk.on_chart) over (order by wk.week) as stored_weeks_so_far
    from weeks as wk
  ),
  checked as (
    select
      r.*,
      -- the feed's own figures are used only for one chart and only when they agree with ours
      (p_chart is not null and r.on_chart
       and r.feed_peak_rank is not null and r.feed_weeks_on_chart is not null
       and r.feed_peak_rank >= 1 and r.feed_peak_rank <= r.stored_peak_so_far
       and r.feed_weeks_on_chart >= r.stored_weeks_so_far) as feed_consistent
    from running as r
  ),
  kinds as (
    select
      c.*,
      case
        when not c.on_chart then null
        when c.prev_on_chart is null and c.feed_consistent and c.feed_weeks_on_chart > 1
          then case when c.feed_previous_rank >= 1 then 'continuing' else 're_entry' end
        when c.prev_on_chart is null then 'new'
        when c.prev_on_chart then 'continuing'
        else 're_entry'
      end as entry_kind
    from checked as c
  ),
  latest as (
    select k.* from kinds as k where k.on_chart order by k.week desc limit 1
  ),
  summary as (
    select
      min(k.chart_position) as peak_position,
      count(*) filter (where k.on_chart) as weeks_on_chart,
      count(*) filter (where not k.on_chart) as weeks_off_chart,
      (select k2.entry_kind from kinds as k2 where k2.entry_kind in ('new', 're_entry') order by k2.week desc limit 1)
      as entry_kind,
      (select k3.chart_position from kinds as k3 order by k3.week desc limit 1) as current_position,
      (select min(k4.week) from kinds as k4 where k4.chart_position = min(k.chart_position)) as peak_week
    from kinds as k
  )
  select
    k.week, k.on_chart, k.chart_position, k.source, k.entry_kind,
    (
      select m.id from public.music_video_metrics as m
      where m.music_video_id = p_music_video_id and m.platform = 'other'
        and m.collected_at = (k.week::timestamp at time zone 'utc') and m.deleted_at is null
    ),
    k.import_batch_id, k.position_id, k.feed_peak_rank, k.feed_previous_rank,
    k.feed_weeks_on_chart, k.feed_consistent,
    sp.first_week, sp.last_week, sm.peak_position, sm.peak_week, sm.weeks_on_chart::integer,
    sm.weeks_off_chart::integer, sm.entry_kind, sm.current_position,
    case when l.feed_consistent then l.feed_peak_rank else sm.peak_position end,
    case when l.feed_consistent then l.feed_weeks_on_chart else sm.weeks_on_chart::integer end,
    case when l.feed_consistent then 'chart' else 'stored_history' end
  from kinds as k
  cross join span as sp
  cross join summary as sm
  left join latest as l on true
  order by k.week desc;
end
$$;
revoke all on function private.music_video_chart_weeks(uuid, text) from public;
grant execute on function private.music_video_chart_weeks(uuid, text) to authenticated, service_role;

-- The reports' form (workers/reports/analytics.py): the same run as one jsonb document, keys as
-- before (music_video_id, chart, first_week, last_week, peak_position, peak_week,
-- weeks_on_chart, weeks_off_chart, entry_kind, current_position, since_debut_*, weeks [...]).
create or replace function private.music_video_chart_history(p_music_video_id uuid, p_chart text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'music_video_id', p_music_video_id,
    'chart', p_chart,
    'first_week', max(w.first_week),
    'last_week', max(w.last_week),
    'peak_position', max(w.peak_position),
    'peak_week', max(w.peak_week),
    'weeks_on_chart', coalesce(max(w.weeks_on_chart), 0),
    'weeks_off_chart', coalesce(max(w.weeks_off_chart), 0),
    'entry_kind', max(w.current_entry_kind),
    'current_position', max(w.current_position),
    'since_debut_peak_position', max(w.since_debut_peak_position),
    'since_debut_weeks_on_chart', coalesce(max(w.since_debut_weeks_on_chart), 0),
    'since_debut_source', coalesce(max(w.since_debut_source), 'stored_history'),
    'weeks', coalesce(jsonb_agg(jsonb_build_object(
      'week_start', w.week_start,
      'on_chart', w.on_chart,
      'chart_position', w.chart_position,
      'chart', w.chart,
      'entry_kind', w.entry_kind,
      'metric_id', w.metric_id,
      'import_batch_id', w.import_batch_id,
      'position_id', w.position_id,
      'feed_peak_rank', w.feed_peak_rank,
      'feed_previous_rank', w.feed_previous_rank,
      'feed_weeks_on_chart', w.feed_weeks_on_chart,
      'feed_consistent', w.feed_consistent
    ) order by w.week_start desc) filter (where w.week_start is not null), '[]'::jsonb)
  )
  from private.music_video_chart_weeks(p_music_video_id, p_chart) as w
$$;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_chart_history(text, text);

-- GET /music-videos/:id/charts: the API's form (a malformed id is a 404).
create function public.music_video_chart_history(music_video_id text, chart text default null)
returns setof public.music_video_chart_week
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.music_video_chart_weeks(private.try_uuid(music_video_id), chart)
$$;
revoke all on function public.music_video_chart_history(text, text) from public, anon;
grant execute on function public.music_video_chart_history(text, text) to authenticated, service_role;
