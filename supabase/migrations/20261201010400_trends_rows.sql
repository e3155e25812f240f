-- music_video_trends as typed rows (issue 12, sections 1-2): the MetricsPanel sparklines' read
-- returned one jsonb document. It now returns one row per platform with samples
-- (public.music_video_trend, platform order): the series as typed parallel arrays, one element
-- per UTC day with a sample, oldest first (what chart.js takes: dates are the labels), the
-- platform's latest sample and 7-day velocity, and the video's KPI projection, which counts
-- every platform and is the same on every row. A video with no live sample returns no row.
-- Parameters carry their real types (platforms is platform_enum[]); id stays text so a
-- malformed id is the same PT404 as a missing or foreign one. The definitions (delta,
-- gap_days, per_day, velocity_7d, kpi state) and the scans are those of 20261130170100; only
-- the output's form changed.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create type public.music_video_trend as (
  platform public.platform_enum,
  -- the UTC days covered: range_to is today, range_from is days - 1 days before
  range_from date,
  range_to date,
  days integer,
  -- the platform's latest sample with views (null when none has views)
  latest_at timestamptz,
  latest_views bigint,
  -- views gained per day over ~7 days before the latest sample, its base sample and span;
  -- null with fewer than two samples
  velocity_views_per_day numeric,
  velocity_views_gained bigint,
  velocity_from timestamptz,
  velocity_to timestamptz,
  velocity_span_days numeric,
  -- the series: one element per UTC day with a sample in the range (the day's last sample)
  dates date [],
  views_total bigint [],
  -- views minus the previous day with a sample; gap_days between them; per_day = delta / gap
  delta bigint [],
  gap_days integer [],
  per_day numeric [],
  -- chart positions per day, null when the platform has none in the range
  chart_position integer [],
  -- the sample's source per day, for platform 'other' (chart ids) only
  source text [],
  -- the days whose samples carry odd-data flags: [{date, flags: [..]}], and how many
  flagged jsonb,
  flagged_days integer,
  -- the video's KPI projection (every platform counted; identical on every row)
  kpi_view_target integer,
  kpi_views_total bigint,
  kpi_velocity_7d numeric,
  kpi_latest_at timestamptz,
  -- no_target, reached, insufficient_data, not_at_this_pace or on_pace
  kpi_state text,
  kpi_views_remaining bigint,
  kpi_days_to_target numeric,
  kpi_projected_on date
);
grant usage on type public.music_video_trend to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_trends(text, text[], integer);

-- days: the number of UTC calendar days returned, today included (1 to 1095).
create function public.music_video_trends(
  id text,
  platforms public.platform_enum[] default null,
  days integer default 90
)
returns setof public.music_video_trend
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_video uuid := private.try_uuid(btrim(music_video_trends.id));
  v_days integer := music_video_trends.days;
  v_platforms public.platform_enum[];
  v_target integer;
  v_today date := (now() at time zone 'UTC')::date;
  v_first_day date;
  v_lower timestamptz;
  v_oldest_latest timestamptz;
begin
  if v_video is null
     or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;
  if v_days is null or v_days < 1 or v_days > 1095 then
    perform private.raise_bad_argument('days', 'out_of_range',
      'days must be a whole number from 1 to 1095 (three years)');
  end if;
  if cardinality(music_video_trends.platforms) > 0 then
    v_platforms := music_video_trends.platforms;
  end if;

  select v.kpi_view_target into v_target
  from public.music_videos as v
  where v.id = v_video;

  v_first_day := v_today - (v_days - 1);
  -- The oldest "latest sample" of any platform: its 7-day window (and a 31-day fallback for a
  -- gap) must be read too.
  select min(l.last_at) into v_oldest_latest
  from (
    select max(m.collected_at) as last_at
    from public.music_video_metrics as m
    where m.music_video_id = v_video
      and m.deleted_at is null
    group by m.platform
  ) as l;
  v_lower := least(
    (v_first_day::timestamp at time zone 'UTC') - interval '31 days',
    v_oldest_latest - interval '38 days'
  );

  return query
  with s as (
    select
      m.platform, m.collected_at, m.views_total, m.chart_position, m.source, m.flags,
      (m.collected_at at time zone 'UTC')::date as day
    from public.music_video_metrics as m
    where m.music_video_id = v_video
      and m.deleted_at is null
      and m.collected_at >= v_lower
  ),
  latest as (
    select distinct on (s.platform) s.platform, s.collected_at as at, s.views_total as views
    from s
    where s.views_total is not null
    order by s.platform asc, s.collected_at desc
  ),
  -- the oldest sample within 7 days before the latest, else the newest one before that (a
  -- gap), at most 31 days earlier
  base as (
    select distinct on (s.platform) s.platform, s.collected_at as at, s.views_total as views
    from s
    inner join latest as l on s.platform = l.platform
    where s.views_total is not null
      and s.collected_at < l.at
      and s.collected_at >= l.at - interval '38 days'
    order by
      s.platform asc,
      (s.collected_at >= l.at - interval '7 days') desc,
      case when s.collected_at >= l.at - interval '7 days' then s.collected_at end asc,
      s.collected_at desc
  ),
  velocity as (
    select
      l.platform, l.at, l.views, b.at as base_at, b.views as base_views,
      (l.views - b.views)::numeric / (extract(epoch from l.at - b.at) / 86400) as per_day
    from latest as l
    left join base as b on l.platform = b.platform
  ),
  -- one point per platform and UTC day: the day's last sample, with the flags of all of them
  -- (plain aggregates and a join: no per-group sort)
  days as (
    select
      s.platform,
      s.day,
      max(s.collected_at) as last_at,
      array_remove(array[
        case when bool_or('views_decreased' = any(s.flags)) then 'views_decreased' end,
        case when bool_or('views_frozen' = any(s.flags)) then 'views_frozen' end,
        case when bool_or('views_jump' = any(s.flags)) then 'views_jump' end
      ], null) as flags
    from s
    group by s.platform, s.day
  ),
  points as (
    select
      d.platform, d.day, d.flags, s.views_total as views, s.chart_position, s.source,
      s.views_total - lag(s.views_total) over w as delta,
      d.day - lag(d.day) over w as gap_days
    from days as d
    inner join s on d.platform = s.platform and d.last_at = s.collected_at
    window w as (partition by d.platform order by d.day)
  ),
  -- each platform's series as parallel arrays, oldest first; the flagged days listed apart
  series as (
    select
      pt.platform,
      array_agg(pt.day order by pt.day) as dates,
      array_agg(pt.views order by pt.day) as views,
      array_agg(pt.delta order by pt.day) as delta,
      array_agg(pt.gap_days order by pt.day) as gap_days,
      array_agg(round(pt.delta::numeric / pt.gap_days, 2) order by pt.day) as per_day,
      case when count(pt.chart_position) > 0 then array_agg(pt.chart_position order by pt.day) end as chart_position,
      case when pt.platform = 'other' then array_agg(pt.source order by pt.day) end as source,
      coalesce(
        jsonb_agg(jsonb_build_object('date', pt.day, 'flags', pt.flags) order by pt.day)
          filter (where cardinality(pt.flags) > 0),
        '[]'::jsonb
      ) as flagged
    from points as pt
    where pt.day >= v_first_day
    group by pt.platform
  ),
  kpi as (
    select
      coalesce(sum(v.views), 0) as views,
      sum(v.per_day) as per_day,
      count(v.per_day) as with_velocity,
      max(v.at) as latest_at
    from velocity as v
  ),
  projection as (
    select
      k.*,
      case
        when v_target is null then 'no_target'
        when k.views >= v_target then 'reached'
        when k.with_velocity = 0 then 'insufficient_data'
        when k.per_day <= 0 or (v_target - k.views) / k.per_day > 3650 then 'not_at_this_pace'
        else 'on_pace'
      end as state
    from kpi as k
  )
  select
    p.platform,
    v_first_day,
    v_today,
    v_days,
    vl.at,
    vl.views,
    case when vl.base_at is not null then round(vl.per_day, 2) end,
    vl.views - vl.base_views,
    vl.base_at,
    case when vl.base_at is not null then vl.at end,
    round(extract(epoch from vl.at - vl.base_at) / 86400, 2),
    coalesce(sr.dates, '{}'),
    coalesce(sr.views, '{}'),
    coalesce(sr.delta, '{}'),
    coalesce(sr.gap_days, '{}'),
    coalesce(sr.per_day, '{}'),
    sr.chart_position,
    sr.source,
    coalesce(sr.flagged, '[]'::jsonb),
    jsonb_array_length(coalesce(sr.flagged, '[]'::jsonb)),
    v_target,
    pr.views::bigint,
    round(pr.per_day, 2),
    pr.latest_at,
    pr.state,
    greatest(v_target - pr.views, 0)::bigint,
    case when pr.state = 'on_pace' then round((v_target - pr.views) / pr.per_day, 2) end,
    case when pr.state = 'on_pace' then
      ((pr.latest_at + ((v_target - pr.views) / pr.per_day)::float8 * interval '1 day')
        at time zone 'UTC')::date
    end
  from (select distinct s.platform from s) as p
  left join series as sr on p.platform = sr.platform
  left join velocity as vl on p.platform = vl.platform
  cross join projection as pr
  where v_platforms is null or p.platform = any(v_platforms)
  order by p.platform;
end
$$;

revoke all on function public.music_video_trends(text, public.platform_enum[], integer) from public, anon;
grant execute on function public.music_video_trends(text, public.platform_enum[], integer)
to authenticated, service_role;
