-- music_video_chart_history answers from the per-chart positions (music_video_chart_positions,
-- 20261130200000) instead of the best-rank metric rows: asking for the Hot 100 no longer loses
-- the weeks in which Spotify ranked the video better. Without a chart, a week shows the best
-- rank of any chart, as before. The JSON shape is kept; fields are only added:
--   since_debut_peak_position / since_debut_weeks_on_chart / since_debut_source: "per the chart,
--     since debut": the chart feed's own peak and weeks-on-chart of the latest charted week when
--     they are consistent with what we stored (peak >= 1, peak <= every stored rank up to that
--     week, weeks >= the weeks we stored up to then), source 'chart'; otherwise the figures
--     derived from stored history, source 'stored_history'. peak_position and weeks_on_chart
--     stay derived from stored history only.
--   weeks[].feed_peak_rank / feed_previous_rank / feed_weeks_on_chart / feed_consistent /
--     position_id.
-- A song whose first stored week is not its debut (the feed's consistent weeks-on-chart > 1) is
-- not called 'new': it is 'continuing' when the feed gives a previous rank, else 're_entry'
-- (Billboard and Spotify both leave the previous rank empty for debuts and re-entries alike).
-- Inconsistent feed values are ignored, as before.
-- A chart metric row with no position for its chart and week (an admin's direct insert) still
-- counts, with its own chart and rank.
-- Rows stored before the positions table existed are copied into it here: the metric row's own
-- chart and rank (with its feed_reported values) and the other charts listed in also_charted.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

insert into public.music_video_chart_positions (
  music_video_id, chart, week_start, chart_rank, feed_peak_rank, feed_previous_rank,
  feed_weeks_on_chart, matched_by, import_batch_id, deleted_at
)
select
  m.music_video_id,
  m.source as chart,
  (date_trunc('week', m.collected_at at time zone 'utc'))::date as week_start,
  m.chart_position as chart_rank,
  nullif(greatest((m.detail #>> '{feed_reported,peak_rank}')::integer, 0), 0) as feed_peak_rank,
  (m.detail #>> '{feed_reported,previous_rank}')::integer as feed_previous_rank,
  nullif(greatest((m.detail #>> '{feed_reported,weeks_on_chart}')::integer, 0), 0) as feed_weeks_on_chart,
  m.detail ->> 'matched_by' as matched_by,
  m.import_batch_id,
  m.deleted_at
from public.music_video_metrics as m
where
  m.platform = 'other'
  and m.chart_position is not null
  and m.source in (select c.id from public.music_video_chart_sources as c)
  and coalesce(jsonb_typeof(m.detail -> 'feed_reported'), 'object') = 'object'
on conflict (music_video_id, chart, week_start) do nothing;

insert into public.music_video_chart_positions (
  music_video_id, chart, week_start, chart_rank, import_batch_id, deleted_at
)
select
  m.music_video_id,
  a.value ->> 'chart' as chart,
  (date_trunc('week', m.collected_at at time zone 'utc'))::date as week_start,
  (a.value ->> 'rank')::integer as chart_rank,
  m.import_batch_id,
  m.deleted_at
from public.music_video_metrics as m
cross join
  lateral jsonb_array_elements(
    case when jsonb_typeof(m.detail -> 'also_charted') = 'array' then m.detail -> 'also_charted' else '[]'::jsonb end
  ) as a (value)
where
  m.platform = 'other'
  and a.value ->> 'chart' in (select c.id from public.music_video_chart_sources as c)
  and (a.value ->> 'rank') ~ '^[1-9][0-9]{0,6}$'
on conflict (music_video_id, chart, week_start) do nothing;

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
      detail = jsonb_build_object('problems', jsonb_build_array(jsonb_build_object(
        'field', 'chart', 'code', 'unknown_chart', 'message', 'not a chart source: ' || p_chart
      )))::text,
      hint = 'Use an id from music_video_chart_sources, e.g. billboard_hot_100.';
  end if;

  return (
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
      'since_debut_peak_position', case when l.feed_consistent then l.feed_peak_rank else sm.peak_position end,
      'since_debut_weeks_on_chart',
      case when l.feed_consistent then l.feed_weeks_on_chart else coalesce(sm.weeks_on_chart, 0) end,
      'since_debut_source', case when l.feed_consistent then 'chart' else 'stored_history' end,
      'weeks', coalesce((
        select jsonb_agg(jsonb_build_object(
          'week_start', k.week,
          'on_chart', k.on_chart,
          'chart_position', k.chart_position,
          'chart', k.source,
          'entry_kind', k.entry_kind,
          'metric_id', (
            select m.id from public.music_video_metrics as m
            where m.music_video_id = p_music_video_id and m.platform = 'other'
              and m.collected_at = (k.week::timestamp at time zone 'utc') and m.deleted_at is null
          ),
          'import_batch_id', k.import_batch_id,
          'position_id', k.position_id,
          'feed_peak_rank', k.feed_peak_rank,
          'feed_previous_rank', k.feed_previous_rank,
          'feed_weeks_on_chart', k.feed_weeks_on_chart,
          'feed_consistent', k.feed_consistent
        ) order by k.week desc)
        from kinds as k
      ), '[]'::jsonb)
    )
    from summary as sm
    left join latest as l on true
  );
end
$$;

revoke all on function private.music_video_chart_history(uuid, text) from public;
grant execute on function private.music_video_chart_history(uuid, text) to authenticated, service_role;
