-- TV viewers are a day's audience, not a running count (issue 12 contract leftovers: a normal
-- broadcast import was flagged views_decreased). Broadcast imports (spec 3.3, CSV) and broadcast
-- webhooks store each air date's viewers in views_total on the TV platforms of platform_enum
-- (spec 2.2: mtv, regional_tv; the only platforms import_broadcast_metrics and the workers accept
-- for broadcast data); every other platform stores the public count the source reports, which
-- only grows. The code read every views_total as a running count. The rule now has one home,
-- private.platform_views_are_cumulative, and what assumed a running count asks it:
-- - the odd-data flags (20261130170000): views_decreased, views_frozen and views_jump compare a
--   sample with the previous ones as counts; a TV sample gets none of them. TV rows flagged before
--   this migration are recomputed (cleared) below.
-- - the card summary (20261201040300; the board's views, views_by_platform and the KPI-target
--   alert read it): a platform's views were its latest sample; on a TV platform they are now the
--   sum of its live samples (the audience to date).
-- - the trends (20261201010400): on a TV platform a day's point is the day's audience (the sum of
--   its samples), delta is that audience (what the day added), the 7-day velocity is the
--   audiences after the base sample up to the latest over the span, and the KPI projection counts
--   the TV audience to date (as the card does). Cumulative platforms are unchanged.
-- The metric history keeps returning the samples as stored.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The one rule: does views_total on this platform carry a running (cumulative) count? false for
-- the TV platforms (mtv, regional_tv), whose samples are one air date's audience.
create function private.platform_views_are_cumulative(p_platform public.platform_enum)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_platform not in ('mtv', 'regional_tv')
$$;
revoke all on function private.platform_views_are_cumulative(public.platform_enum) from public;
grant execute on function private.platform_views_are_cumulative(public.platform_enum) to authenticated, service_role;

-- The flags of a sample (20261130170000), asking the rule first.
create or replace function private.flag_odd_metric_sample()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_frozen integer;
  v_factor numeric;
  v_prev bigint[];
  v_flags text[] := '{}';
  v_cached text;
begin
  if new.deleted_at is not null then
    if tg_op = 'UPDATE' then
      new.flags := old.flags;
    end if;
    return new;
  end if;
  -- A TV platform's sample is one day's audience, not a running count: none of the three
  -- rules applies (a smaller audience than yesterday's is normal, equal ones are not stale).
  if new.views_total is null or not private.platform_views_are_cumulative(new.platform) then
    new.flags := '{}';
    return new;
  end if;
  -- The thresholds, read once per transaction (a bulk upsert fires this for every row):
  -- mv.odd_data_thresholds caches "N,F"; a change to the settings clears it.
  v_cached := current_setting('mv.odd_data_thresholds', true);
  if v_cached is null or v_cached = '' then
    v_frozen := private.music_video_setting_number('odd_data_frozen_syncs', 3, 2, 100);
    v_factor := private.music_video_setting_number('odd_data_jump_factor', 10, 1.000001, 1000000);
    perform set_config('mv.odd_data_thresholds', v_frozen || ',' || v_factor, true);
  else
    v_frozen := split_part(v_cached, ',', 1)::integer;
    v_factor := split_part(v_cached, ',', 2)::numeric;
  end if;

  select array_agg(p.views_total order by p.collected_at desc) into v_prev
  from (
    select m.views_total, m.collected_at
    from public.music_video_metrics as m
    where m.music_video_id = new.music_video_id
      and m.platform = new.platform
      and m.collected_at < new.collected_at
      and m.deleted_at is null
      and m.views_total is not null
    order by m.collected_at desc
    limit v_frozen - 1
  ) as p;

  if v_prev is not null then
    if new.views_total < v_prev[1] then
      v_flags := v_flags || 'views_decreased'::text;
    end if;
    if cardinality(v_prev) = v_frozen - 1 and new.views_total = all(v_prev) then
      v_flags := v_flags || 'views_frozen'::text;
    end if;
    if v_prev[1] > 0 and new.views_total > v_prev[1] * v_factor then
      v_flags := v_flags || 'views_jump'::text;
    end if;
  end if;
  new.flags := v_flags;
  return new;
end
$$;
revoke all on function private.flag_odd_metric_sample() from public;

-- The card summary (20261201040300), with a TV platform's views summed.
create or replace function private.refresh_music_video_metric_summaries(p_music_video_ids uuid[])
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  with latest as (
    select
      v.id as music_video_id,
      sum(pv.views) as views_total,
      coalesce(jsonb_object_agg(m.platform, pv.views) filter (where pv.views is not null), '{}'::jsonb)
        as views_by_platform,
      (array_agg(m.chart_position order by m.collected_at desc) filter (where m.chart_position is not null))[1]
        as chart_position,
      (array_agg(m.source order by m.collected_at desc) filter (where m.chart_position is not null))[1]
        as chart_source,
      max(m.collected_at) filter (where m.chart_position is not null) as chart_collected_at,
      max(m.collected_at) as last_collected_at,
      count(m.collected_at) as live_platforms
    from public.music_videos as v
    cross join unnest(enum_range(null::public.platform_enum)) as p (platform)
    left join lateral (
      select mm.platform, mm.views_total, mm.chart_position, mm.source, mm.collected_at
      from public.music_video_metrics as mm
      where mm.music_video_id = v.id
        and mm.platform = p.platform
        and mm.deleted_at is null
      order by mm.collected_at desc
      limit 1
    ) as m on true
    -- the platform's views: its latest count, or on a TV platform the sum of its live audiences
    -- (one index range per TV platform that has a sample; none for the others)
    cross join lateral (
      select case
        when private.platform_views_are_cumulative(p.platform) or m.collected_at is null then m.views_total
        else (
          select sum(t.views_total)
          from public.music_video_metrics as t
          where t.music_video_id = v.id
            and t.platform = p.platform
            and t.deleted_at is null
        )
      end as views
    ) as pv
    where v.id = any(p_music_video_ids)
    group by v.id
  ),
  -- Each video's summary with its latest import, one index probe per video (a left join: a video
  -- with no import keeps its row with a null id), so "gone" and the upsert read this one set.
  last_sync as (
    select l.*, i.id, i.source, i.status, i.created_at, i.completed_at, i.error_message
    from latest as l
    left join lateral (
      select ii.id, ii.source, ii.status, ii.created_at, ii.completed_at, ii.error_message
      from public.music_video_metric_imports as ii
      where ii.music_video_id = l.music_video_id
      order by ii.created_at desc
      limit 1
    ) as i on true
  ),
  gone as (
    delete from private.music_video_metric_summaries as s
    using last_sync as x
    where s.music_video_id = x.music_video_id
      and x.live_platforms = 0
      and x.id is null
  )
  insert into private.music_video_metric_summaries as s (
    music_video_id, views_total, views_by_platform, chart_position, chart_source, chart_collected_at,
    last_collected_at, last_sync_id, last_sync_source, last_sync_status, last_sync_created_at,
    last_sync_completed_at, last_sync_error, updated_at
  )
  select
    x.music_video_id, x.views_total, x.views_by_platform, x.chart_position, x.chart_source,
    x.chart_collected_at, x.last_collected_at, x.id, x.source, x.status, x.created_at, x.completed_at,
    x.error_message, now()
  from last_sync as x
  where x.live_platforms > 0 or x.id is not null
  on conflict (music_video_id) do update
  set views_total = excluded.views_total,
    views_by_platform = excluded.views_by_platform,
    chart_position = excluded.chart_position,
    chart_source = excluded.chart_source,
    chart_collected_at = excluded.chart_collected_at,
    last_collected_at = excluded.last_collected_at,
    last_sync_id = excluded.last_sync_id,
    last_sync_source = excluded.last_sync_source,
    last_sync_status = excluded.last_sync_status,
    last_sync_created_at = excluded.last_sync_created_at,
    last_sync_completed_at = excluded.last_sync_completed_at,
    last_sync_error = excluded.last_sync_error,
    updated_at = excluded.updated_at
$$;
revoke all on function private.refresh_music_video_metric_summaries(uuid[]) from public;
grant execute on function private.refresh_music_video_metric_summaries(uuid[]) to service_role;

-- The trends (20261201010400), asking the rule for the series, the velocity and the KPI. Same
-- signature and return type: create or replace keeps its grants and its comment.
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
  -- views gained since the base: the difference of two cumulative counts, or on a TV platform
  -- (each sample is one day's audience) the audiences after the base up to the latest
  gained as (
    select
      l.platform, l.at, l.views, b.at as base_at, b.views as base_views,
      case
        when private.platform_views_are_cumulative(l.platform) then l.views - b.views
        else (
          select sum(s2.views_total) from s as s2
          where s2.platform = l.platform and s2.collected_at > b.at and s2.collected_at <= l.at
        )::bigint
      end as gained
    from latest as l
    left join base as b on l.platform = b.platform
  ),
  velocity as (
    select g.*, g.gained::numeric / (extract(epoch from g.at - g.base_at) / 86400) as per_day
    from gained as g
  ),
  -- a TV platform's views to date: every live audience sample of the video (all time)
  audience as (
    select m.platform, sum(m.views_total) as views
    from public.music_video_metrics as m
    where m.music_video_id = v_video
      and m.deleted_at is null
      and not private.platform_views_are_cumulative(m.platform)
    group by m.platform
  ),
  -- one point per platform and UTC day: the day's last sample, with the flags of all of them
  -- (plain aggregates and a join: no per-group sort)
  days as (
    select
      s.platform,
      s.day,
      max(s.collected_at) as last_at,
      sum(s.views_total)::bigint as day_views,
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
      d.platform, d.day, d.flags, s.chart_position, s.source,
      -- a cumulative count: the day's last sample, and the change since the previous day with a
      -- sample; a TV platform: the day's audience, which is also what the day added
      case when private.platform_views_are_cumulative(d.platform) then s.views_total else d.day_views end as views,
      case
        when private.platform_views_are_cumulative(d.platform) then s.views_total - lag(s.views_total) over w
        else d.day_views
      end as delta,
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
    v_days,
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
  from (select distinct s.platform from s) as p
  left join series as sr on p.platform = sr.platform
  left join velocity as vl on p.platform = vl.platform
  cross join projection as pr
  where v_platforms is null or p.platform = any(v_platforms)
  order by p.platform;
end
$$;


-- The API reference's text of the two reads whose views on TV platforms changed meaning
-- (20261201230000's text, with the TV rule).
comment on function public.music_video_trends(text, public.platform_enum[], integer) is $md$The MetricsPanel's trends: per platform, the daily view series, 7-day velocity, odd-data flags, and the video's KPI projection.

Endpoint: the MetricsPanel sparklines (spec 4.1 MetricsPanel, 5.1 criterion 6).

Returns: `music_video_trend` rows, one per platform that has a live sample (the enum's order), narrowed by `platforms` (null or empty: all); a video with no live sample returns no row. `range_from` / `range_to` / `days`: the window, `days` UTC calendar days (1..1095, default 90) ending today. `latest_at` / `latest_views`: the platform's newest sample with views. On the TV platforms (`mtv`, `regional_tv`) a sample is one air date's audience, not a running count: there a day's `views_total` is the day's audience (the sum of its samples), `delta` is that audience (what the day added; set on the first day too), `velocity_*` counts the audiences after the base sample up to the latest, and the KPI counts the platform's audience to date (the sum of its live samples, as the board card does); no TV sample carries odd-data flags. `velocity_*`: views gained per day since a base sample (the oldest within 7 days before the latest, else the newest up to 38 days before), its gain, the two samples' times and the span in days; null with no base sample. The series are parallel arrays, one element per UTC day in the window that has a sample (the day's last sample), oldest first: `dates`, `views_total`, `delta` (views minus the previous day with a sample, which may lie before the window; null for the very first), `gap_days` (days between the two), `per_day` (delta / gap, 2 decimals), `chart_position` (null when the platform has none in the window) and `source` (platform `other` only: the chart ids). `flagged` `[{date, flags}]` lists the days whose samples carry odd-data flags, `flagged_days` how many. `kpi_*`: the video's KPI projection over every platform (not narrowed by `platforms`; the same on every row): target, views, 7-day velocity, latest sample, `kpi_state` (`no_target`, `reached`, `insufficient_data`, `not_at_this_pace`, `on_pace`), views remaining, and, when on pace, days to target and the projected date.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins included).
- `22023`: `detail.problems` `days` `out_of_range` (not 1..1095).
- `22P02` (PostgREST, before the function runs): an unknown platform label in `platforms`.$md$;

comment on function public.list_music_videos(text, public.video_status_enum[], text, text, integer) is $md$The board of a release: one page of video cards, newest first.

Endpoint: GET /music-videos?release_id (spec 2.3; ARCHITECTURE.md's endpoint table). The header counts and the draft to resume are the board's two other reads, `music_video_status_counts` and `music_video_resume_draft`.

Returns: `music_video_card` rows, one per video, newest first (`created_at` desc, then `id` desc), at most `page_size` (1..200, default 50). Keyset pages: only the page's last row carries `next_cursor`, and only when another page follows (null otherwise); pass it back unchanged as `cursor` for the next page. `status` filters by lanes (null or empty: all); `search` matches title or slug, case-insensitively, as a plain substring (`%` and `_` are literal). Per card: the theme, art style and budget band by name, `budget_currency_code` (the band's currency, the estimate's), `kpi_chart_target_label` (the chart source's label), `views_total` (the views summed over platforms: a platform's latest live count, or on the TV platforms `mtv` and `regional_tv`, whose samples are one air date's audience, the sum of its live samples; null before any sample) and `views_by_platform` (`{"youtube": 123, ...}`, the same per platform, `{}` before any sample), `chart_position` / `chart_source` (the latest chart position and its chart), `last_sync_*` (the newest import job: status, source, created and completed times; null when none).

Errors:
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `page_size` `out_of_range` (not 1..200), or `cursor` `invalid_cursor` (not a `next_cursor` this endpoint returned).
- `22P02` (PostgREST, before the function runs): an unknown status label in `status`.$md$;
