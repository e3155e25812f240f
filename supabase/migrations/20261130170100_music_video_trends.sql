-- GET /music-videos/:id/trends (issue "Analytics a release manager can trust", section 4; the
-- MetricsPanel sparklines of spec 4.1): per platform, one point per UTC day with a sample (the
-- day's last sample) and its delta against the previous day with a sample, as parallel arrays
-- (series.dates, series.views_total, series.delta, ...: what chart.js takes), the 7-day velocity,
-- and for the video the date its KPI view target (music_videos.kpi_view_target, compared with
-- the views summed over platforms like the card's views_total) is reached at the current pace.
-- Computed from the stored snapshots only, soft-deleted rows excluded, each point carrying the
-- odd-data flags of its samples (20261130170000).
--
-- Definitions (tests: supabase/tests/database/40-trends.test.sql):
--   delta       views_total of the day minus views_total of the previous day with a sample;
--               gap_days is the number of days between them and per_day = delta / gap_days, so
--               a gap in the syncs is visible and averaged, never mistaken for one day's gain.
--   velocity_7d views gained per day from the sample ~7 days before the platform's latest to the
--               latest, using the samples' real timestamps: (latest views - base views) / elapsed
--               days, the base being the oldest sample within 7 days before the latest, or when a
--               gap leaves none, the newest sample before that (up to 31 days earlier; the span
--               is returned). Null with fewer than two samples.
--   kpi.state   no_target (no target set), reached (views >= target), insufficient_data (no
--               velocity yet), not_at_this_pace (velocity <= 0, or the target more than ten
--               years away), on_pace (projected_on = latest sample + remaining / velocity days).
--
-- Speed: one index probe for each platform's latest sample time (an index-only range scan of the
-- video's entries in music_video_metrics_live_idx), then one range scan of the video's entries
-- from the earliest point needed. Under RLS only leakproof conditions (uuid and timestamptz
-- comparisons) may be index conditions, so the platform filter is applied to the output, not to
-- the scan; the KPI always counts every platform.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Parameters are named as the history RPC names them; id is text so a malformed id is the same
-- PT404 as a missing one. days: the number of UTC calendar days returned, today included.
create or replace function public.music_video_trends(
  id text default null,
  platforms text[] default null,
  days integer default 90
)
returns jsonb
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
  v_unknown text[];
  v_problems jsonb := '[]'::jsonb;
  v_release uuid;
  v_target bigint;
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
    v_problems := v_problems || jsonb_build_object(
      'field', 'days', 'code', 'out_of_range',
      'message', 'days must be a whole number from 1 to 1095 (three years)'
    );
  end if;
  if cardinality(music_video_trends.platforms) > 0 then
    select array_agg(pl) filter (where pl not in (select unnest(enum_range(null::public.platform_enum))::text))
    into v_unknown
    from unnest(music_video_trends.platforms) as pl;
    if v_unknown is not null then
      v_problems := v_problems || jsonb_build_object(
        'field', 'platforms', 'code', 'unknown_platform',
        'message', 'unknown platform: ' || array_to_string(v_unknown, ', ')
      );
    else
      v_platforms := music_video_trends.platforms::public.platform_enum[];
    end if;
  end if;
  if v_problems <> '[]'::jsonb then
    raise exception using
      errcode = '22023',
      message = 'Invalid trends request',
      detail = jsonb_build_object('problems', v_problems)::text,
      hint = 'days: 1 to 1095; platforms: youtube, mtv, vevo, tiktok, instagram, regional_tv or other.';
  end if;

  select v.release_id, v.kpi_view_target into v_release, v_target
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

  return (
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
    -- each platform's series as parallel arrays (chart.js labels and datasets), oldest first;
    -- the flagged days listed apart
    series as (
      select
        pt.platform,
        jsonb_strip_nulls(jsonb_build_object(
          'dates', jsonb_agg(pt.day order by pt.day),
          'views_total', jsonb_agg(pt.views order by pt.day),
          'delta', jsonb_agg(pt.delta order by pt.day),
          'gap_days', jsonb_agg(pt.gap_days order by pt.day),
          'per_day', jsonb_agg(round(pt.delta::numeric / pt.gap_days, 2) order by pt.day),
          'chart_position', case when count(pt.chart_position) > 0 then jsonb_agg(pt.chart_position order by pt.day) end,
          'source', case when pt.platform = 'other' then jsonb_agg(pt.source order by pt.day) end
        )) as arrays,
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
    select jsonb_build_object(
      'music_video_id', v_video,
      'release_id', v_release,
      'days', v_days,
      'from', v_first_day,
      'to', v_today,
      'kpi', (
        select jsonb_build_object(
          'view_target', v_target,
          'views_total', pr.views,
          'velocity_7d', round(pr.per_day, 2),
          'latest_at', pr.latest_at,
          'state', pr.state,
          'views_remaining', greatest(v_target - pr.views, 0),
          'days_to_target', case when pr.state = 'on_pace' then round((v_target - pr.views) / pr.per_day, 2) end,
          'projected_on', case when pr.state = 'on_pace' then
            ((pr.latest_at + ((v_target - pr.views) / pr.per_day)::float8 * interval '1 day')
              at time zone 'UTC')::date
          end
        )
        from projection as pr
      ),
      'platforms', coalesce((
        select jsonb_agg(jsonb_build_object(
          'platform', p.platform,
          'latest', (
            select jsonb_build_object('collected_at', v.at, 'views_total', v.views)
            from velocity as v where v.platform = p.platform
          ),
          'velocity_7d', (
            select jsonb_build_object(
              'views_per_day', round(v.per_day, 2),
              'views_gained', v.views - v.base_views,
              'from', v.base_at,
              'to', v.at,
              'span_days', round(extract(epoch from v.at - v.base_at) / 86400, 2)
            )
            from velocity as v where v.platform = p.platform and v.base_at is not null
          ),
          'series', coalesce(sr.arrays, '{"dates": [], "views_total": [], "delta": [], "gap_days": [], "per_day": []}'),
          'flagged', coalesce(sr.flagged, '[]'::jsonb),
          'flagged_days', jsonb_array_length(coalesce(sr.flagged, '[]'::jsonb))
        ) order by p.platform)
        from (select distinct s.platform from s) as p
        left join series as sr on p.platform = sr.platform
        where v_platforms is null or p.platform = any(v_platforms)
      ), '[]'::jsonb)
    )
  );
end
$$;

revoke all on function public.music_video_trends(text, text[], integer) from public, anon;
grant execute on function public.music_video_trends(text, text[], integer) to authenticated, service_role;
