-- The card summary's full recompute (20261202020200) asked the platform rule
-- (private.platform_views_are_cumulative) once per video and platform, sometimes twice: 16 calls of
-- a SQL function that is not inlined (it sets search_path) per video, ~3 s of a 100,000-video sync
-- (benchmarks/README.md, "Queue"). Now the rule is asked once per platform per statement, in a
-- materialized list of the platforms; the recompute is otherwise the same.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The card summary: each video's latest sample per platform (a TV platform's views summed), its
-- chart position and its last sync, upserted; a card with neither sample nor import goes.
create or replace function private.refresh_music_video_metric_summaries(p_music_video_ids uuid[])
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  with platforms as materialized (
    select p.platform, private.platform_views_are_cumulative(p.platform) as cumulative
    from unnest(enum_range(null::public.platform_enum)) as p (platform)
  ),
  latest as (
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
    cross join platforms as p
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
        when p.cumulative or m.collected_at is null then m.views_total
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
