-- GET /music-videos/:id/charts/history (spec 3.2, MetricsPanel "chart status"): a video's chart
-- weeks with the facts derived from OUR stored history, never from a feed's own peak or
-- weeks-on-chart columns. Chart rows are music_video_metrics rows with platform 'other', the
-- chart id in source and the chart week's Monday (00:00 UTC) in collected_at, one per video
-- and week (the best rank of any chart, workers/charts_jobs.py). Weeks between the first and
-- the last charted week that have no row are returned with on_chart = false, so drops and
-- re-entries are visible. Soft-deleted (rolled back) rows are excluded.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.music_video_chart_history(p_music_video_id uuid, p_chart text)
returns jsonb
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
    raise exception using
      errcode = '22023',
      message = 'Unknown chart',
      detail = jsonb_build_object('chart', 'not a chart source: ' || p_chart)::text,
      hint = 'Use an id from music_video_chart_sources, e.g. billboard_hot_100.';
  end if;

  return (
    with charted as (
      -- one row per week: the best rank among the charts asked for
      select distinct on (w.week)
        w.week, m.chart_position, m.source, m.id, m.import_batch_id
      from public.music_video_metrics as m
      cross join lateral (
        select (date_trunc('week', m.collected_at at time zone 'utc'))::date as week
      ) as w
      where m.music_video_id = p_music_video_id
        and m.platform = 'other'
        and m.deleted_at is null
        and m.chart_position is not null
        and m.source in (select c.id from public.music_video_chart_sources as c)
        and (p_chart is null or m.source = p_chart)
      order by w.week asc, m.chart_position asc, m.source asc
    ),
    span as (
      select min(ch.week) as first_week, max(ch.week) as last_week from charted as ch
    ),
    weeks as (
      select
        g.week::date as week,
        ch.chart_position,
        ch.source,
        ch.id,
        ch.import_batch_id,
        ch.week is not null as on_chart
      from span as s
      cross join lateral generate_series(s.first_week, s.last_week, interval '7 days') as g (week)
      left join charted as ch on ch.week = g.week::date
    ),
    kinds as (
      select
        wk.*,
        case
          when not wk.on_chart then null
          when lag(wk.on_chart) over (order by wk.week) is null then 'new'
          when lag(wk.on_chart) over (order by wk.week) then 'continuing'
          else 're_entry'
        end as entry_kind
      from weeks as wk
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
    select jsonb_build_object(
      'music_video_id', p_music_video_id,
      'chart', p_chart,
      'first_week', (select s.first_week from span as s),
      'last_week', (select s.last_week from span as s),
      'peak_position', sm.peak_position,
      'peak_week', sm.peak_week,
      'weeks_on_chart', coalesce(sm.weeks_on_chart, 0),
      'weeks_off_chart', coalesce(sm.weeks_off_chart, 0),
      'entry_kind', sm.entry_kind,
      'current_position', sm.current_position,
      'weeks', coalesce((
        select jsonb_agg(jsonb_build_object(
          'week_start', k.week,
          'on_chart', k.on_chart,
          'chart_position', k.chart_position,
          'chart', k.source,
          'entry_kind', k.entry_kind,
          'metric_id', k.id,
          'import_batch_id', k.import_batch_id
        ) order by k.week desc)
        from kinds as k
      ), '[]'::jsonb)
    )
    from summary as sm
  );
end
$$;

revoke all on function private.music_video_chart_history(uuid, text) from public;
grant execute on function private.music_video_chart_history(uuid, text) to authenticated, service_role;

-- GET /music-videos/:id/charts: the API's form (plain parameter names; a malformed id is a 404).
create or replace function public.music_video_chart_history(music_video_id text, chart text default null)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.music_video_chart_history(private.try_uuid(music_video_id), chart)
$$;
revoke all on function public.music_video_chart_history(text, text) from public, anon;
grant execute on function public.music_video_chart_history(text, text) to authenticated, service_role;
