-- music_video_trends with a plan that stays bounded whatever the statistics say (issue 13 §1).
-- At 100M metric rows the planner estimated ~1 sample in a video's last 90 days and joined the
-- samples CTE to itself in nested loops (a day's last sample, the velocity base: 792 loops of
-- 363 rows, ~25 ms instead of 1.6 ms). Now:
--   * the samples are one index range scan per platform of music_video_metrics_live_idx
--     (video, platform, collected_at >= the window's lower bound), driven by a lateral over the
--     platform enum, and each platform's latest sample time is one probe of that index, instead
--     of reading every index entry of the video (its whole history);
--   * no sample is joined to another sample: each sample carries its platform's latest sample
--     time and its day's last sample time and flags as window functions over that one scan, and
--     the latest, the velocity base and the day points are filters over it. Only the per-platform
--     results (at most one row per platform) are joined.
-- The platform equality is an index condition only without RLS (enum equality is not
-- leakproof, so under RLS it would filter every entry of the video), so the reading moves into
-- a private security definer function behind the public RPC's explicit access gate, as
-- get_music_video's document does. The public RPC keeps its signature, return type, checks and
-- errors (create or replace: its grants and its reference comment stay); the rows are the same
-- (definitions of 20261201010400 with the TV rule of 20261202020200: on a TV platform a day's
-- point is the day's audience, the velocity counts the audiences after the base sample, and
-- the KPI counts the TV audience to date).
-- The KPI's TV audience to date is read from the card summary
-- (private.music_video_metric_summaries.views_by_platform, written by
-- private.refresh_music_video_metric_summaries from the same rows: live samples only, overridden
-- values as stored, rolled-back import rows soft-deleted): one primary-key probe instead of every
-- TV sample of the video, all time (2,190 of the 2,554 rows the benchmark's 3-year video read for
-- 90 days), and "views to date" has one home. A video with no summary row has no live sample.
-- The summary is refreshed at commit; a read in the same transaction as a metric write finds the
-- video noted in mv.metric_summary_dirty and sums its live TV samples itself (the numbers the
-- flush will write).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The rows of music_video_trends for one video the caller may read (the caller checks the
-- arguments): p_days UTC days up to today, p_platforms null for all. Returns nothing for a video
-- the caller may not read (checked again here: this function bypasses RLS).
create or replace function private.music_video_trend_rows(
  p_music_video_id uuid,
  p_platforms public.platform_enum[],
  p_days integer
)
returns setof public.music_video_trend
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_target integer;
  v_today date := (now() at time zone 'UTC')::date;
  v_first_day date := v_today - (p_days - 1);
  v_lower timestamptz;
  v_oldest_latest timestamptz;
  v_card jsonb;
  v_noted boolean;
begin
  if current_setting('role') in ('authenticated', 'anon')
     and not private.can_access_video(p_music_video_id) then
    return;
  end if;

  select v.kpi_view_target into v_target
  from public.music_videos as v
  where v.id = p_music_video_id;

  -- The card's views by platform (private.music_video_metric_summaries, refreshed at commit by
  -- private.flush_music_video_metric_summaries): current for every committed write. A metric
  -- write earlier in this transaction notes its video in mv.metric_summary_dirty until the
  -- flush at commit; for such a video the audience is summed from the samples instead.
  v_noted := coalesce(p_music_video_id::text = any(
    string_to_array(nullif(current_setting('mv.metric_summary_dirty', true), ''), ',')
  ), false);
  if not v_noted then
    select s.views_by_platform into v_card
    from private.music_video_metric_summaries as s
    where s.music_video_id = p_music_video_id;
  end if;

  -- The oldest "latest sample" of any platform (one index probe per platform): its 7-day window
  -- (and a 31-day fallback for a gap) must be read too.
  select min(l.last_at) into v_oldest_latest
  from unnest(enum_range(null::public.platform_enum)) as e (platform)
  cross join lateral (
    select m.collected_at as last_at
    from public.music_video_metrics as m
    where m.music_video_id = p_music_video_id
      and m.platform = e.platform
      and m.deleted_at is null
    order by m.collected_at desc
    limit 1
  ) as l;
  v_lower := least(
    (v_first_day::timestamp at time zone 'UTC') - interval '31 days',
    v_oldest_latest - interval '38 days'
  );

  return query
  with s as (
    select
      e.platform, e.cumulative, m.collected_at, m.views_total, m.chart_position, m.source, m.flags,
      (m.collected_at at time zone 'UTC')::date as day
    -- the rule asked once per platform (a function with its own search_path is not inlined: per
    -- sample it would be one function call each)
    from (
      select p.platform, private.platform_views_are_cumulative(p.platform) as cumulative
      from unnest(enum_range(null::public.platform_enum)) as p (platform)
      offset 0
    ) as e
    cross join lateral (
      select mm.collected_at, mm.views_total, mm.chart_position, mm.source, mm.flags
      from public.music_video_metrics as mm
      where mm.music_video_id = p_music_video_id
        and mm.platform = e.platform
        and mm.deleted_at is null
        and mm.collected_at >= v_lower
      -- offset 0 keeps this subquery a per-platform index range scan (video, platform,
      -- collected_at >= lower): pulled up, the planner may join all the video's entries instead
      offset 0
    ) as m
  ),
  -- each sample with its platform's latest sample time (with views), and its UTC day's last
  -- sample time and flags (of all the day's samples)
  w as (
    select
      s.*,
      max(s.collected_at) filter (where s.views_total is not null) over (partition by s.platform) as latest_at,
      max(s.collected_at) over d as day_last_at,
      (sum(s.views_total) over d)::bigint as day_views,
      bool_or('views_decreased' = any(s.flags)) over d as decreased,
      bool_or('views_frozen' = any(s.flags)) over d as frozen,
      bool_or('views_jump' = any(s.flags)) over d as jumped
    from s
    window d as (partition by s.platform, s.day)
  ),
  latest as (
    select w.platform, w.collected_at as at, w.views_total as views
    from w
    where w.collected_at = w.latest_at
  ),
  -- the oldest sample within 7 days before the latest, else the newest one before that (a
  -- gap), at most 31 days earlier
  base as (
    select distinct on (w.platform) w.platform, w.collected_at as at, w.views_total as views
    from w
    where w.views_total is not null
      and w.collected_at < w.latest_at
      and w.collected_at >= w.latest_at - interval '38 days'
    order by
      w.platform asc,
      (w.collected_at >= w.latest_at - interval '7 days') desc,
      case when w.collected_at >= w.latest_at - interval '7 days' then w.collected_at end asc,
      w.collected_at desc
  ),
  -- views gained since the base: the difference of two cumulative counts, or on a TV platform
  -- (each sample is one day's audience) the audiences after the base up to the latest (one pass
  -- over the platform's samples per platform)
  gained as (
    select
      l.platform, l.at, l.views, b.at as base_at, b.views as base_views,
      case
        when private.platform_views_are_cumulative(l.platform) then l.views - b.views
        else (
          select sum(w2.views_total) from w as w2
          where w2.platform = l.platform and w2.collected_at > b.at and w2.collected_at <= l.at
        )::bigint
      end as gained
    from latest as l
    left join base as b on l.platform = b.platform
  ),
  velocity as (
    select g.*, g.gained::numeric / (extract(epoch from g.at - g.base_at) / 86400) as per_day
    from gained as g
  ),
  -- a TV platform's views to date, as the board card counts them: the card summary's
  -- views_by_platform (one primary-key probe, whatever the video's age); for a video this
  -- transaction has noted and not yet flushed, every live audience sample of the platform (one
  -- index range per TV platform), which is what the flush will write
  audience as (
    select e.platform, (v_card ->> e.platform::text)::numeric as views
    from unnest(enum_range(null::public.platform_enum)) as e (platform)
    where not v_noted
      and not private.platform_views_are_cumulative(e.platform)
    union all
    select e.platform, sum(m.views_total) as views
    from unnest(enum_range(null::public.platform_enum)) as e (platform)
    cross join lateral (
      select mm.views_total
      from public.music_video_metrics as mm
      where mm.music_video_id = p_music_video_id
        and mm.platform = e.platform
        and mm.deleted_at is null
      offset 0
    ) as m
    where v_noted
      and not private.platform_views_are_cumulative(e.platform)
    group by e.platform
  ),
  -- one point per platform and UTC day: the day's last sample, with the flags of all of them;
  -- a cumulative count: the day's last sample, and the change since the previous day with a
  -- sample; a TV platform: the day's audience, which is also what the day added
  points as (
    select
      w.platform, w.day,
      array_remove(array[
        case when w.decreased then 'views_decreased' end,
        case when w.frozen then 'views_frozen' end,
        case when w.jumped then 'views_jump' end
      ], null) as flags,
      case when w.cumulative then w.views_total else w.day_views end as views,
      w.chart_position, w.source,
      case
        when w.cumulative then w.views_total - lag(w.views_total) over p
        else w.day_views
      end as delta,
      w.day - lag(w.day) over p as gap_days
    from w
    where w.collected_at = w.day_last_at
    window p as (partition by w.platform order by w.day)
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
      coalesce(sum(coalesce(a.views, v.views)), 0) as views,
      sum(v.per_day) as per_day,
      count(v.per_day) as with_velocity,
      max(v.at) as latest_at
    from velocity as v
    left join audience as a on v.platform = a.platform
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
    p_days,
    vl.at,
    vl.views,
    case when vl.base_at is not null then round(vl.per_day, 2) end,
    vl.gained,
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
  from (select distinct w.platform from w) as p
  left join series as sr on p.platform = sr.platform
  left join velocity as vl on p.platform = vl.platform
  cross join projection as pr
  where p_platforms is null or p.platform = any(p_platforms)
  order by p.platform;
end
$$;
revoke all on function private.music_video_trend_rows(uuid, public.platform_enum[], integer) from public;
grant execute on function private.music_video_trend_rows(uuid, public.platform_enum[], integer)
to authenticated, service_role;

-- The public RPC: same signature, checks and errors as 20261202020200; the rows come from
-- private.music_video_trend_rows once the caller may read the video.
create or replace function public.music_video_trends(
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
declare
  v_video uuid := private.try_uuid(btrim(music_video_trends.id));
  v_days integer := music_video_trends.days;
  v_platforms public.platform_enum[];
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
  return query
  select * from private.music_video_trend_rows(v_video, v_platforms, v_days);
end
$$;
revoke all on function public.music_video_trends(text, public.platform_enum[], integer) from public, anon;
grant execute on function public.music_video_trends(text, public.platform_enum[], integer)
to authenticated, service_role;
