-- The card metrics of list_music_videos (20261124015100), precomputed per video. Found with
-- benchmarks/bench_api.py (200 cards, 1,000,000 metric rows): computing a card's latest metrics
-- in the list took 7 index probes per card (one per platform label), and under RLS worse: enum
-- equality (enum_eq) is not leakproof, so the planner may not use `platform = ...` as an index
-- condition ahead of the policy's qual; each probe walked the video's ~100 rows and filtered
-- them (owner 39 ms vs service role 12 ms). The card's latest import ("last sync") was one more
-- probe per card. Each video's card metrics and last sync now live in one row here, so a card
-- costs one primary-key probe (uuid equality is leakproof, RLS keeps the index). The rows are
-- refreshed at commit (20261124015600, metric rows; 20261124015700, import rows).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One row per video that has live metrics or an import: the latest live (not soft-deleted) row
-- per platform, summed and keyed by platform, the latest chart position, and the latest import.
-- Written only by private.refresh_music_video_metric_summaries; read by list_music_videos under
-- RLS (owners and admins, as the metrics).
create table private.music_video_metric_summaries (
  music_video_id uuid primary key references public.music_videos (id) on delete cascade,
  views_total bigint,
  views_by_platform jsonb not null default '{}'::jsonb,
  chart_position integer,
  chart_source text,
  chart_collected_at timestamptz,
  last_collected_at timestamptz,
  last_sync_id uuid,
  last_sync_source text,
  last_sync_status public.import_status_enum,
  last_sync_created_at timestamptz,
  last_sync_completed_at timestamptz,
  last_sync_error text,
  updated_at timestamptz not null default now()
);
alter table private.music_video_metric_summaries enable row level security;
revoke all on table private.music_video_metric_summaries from anon, authenticated;
grant select on table private.music_video_metric_summaries to authenticated;
grant all on table private.music_video_metric_summaries to service_role;
create policy "Release owners and admins read" on private.music_video_metric_summaries
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));

-- Recomputes a video's summary: the latest live metric row per platform and the latest import.
-- A video with neither loses its row.
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
      sum(m.views_total) as views_total,
      coalesce(jsonb_object_agg(m.platform, m.views_total) filter (where m.views_total is not null), '{}'::jsonb)
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
    where v.id = any(p_music_video_ids)
    group by v.id
  ),
  last_sync as (
    select l.music_video_id, i.id, i.source, i.status, i.created_at, i.completed_at, i.error_message
    from latest as l
    cross join lateral (
      select ii.id, ii.source, ii.status, ii.created_at, ii.completed_at, ii.error_message
      from public.music_video_metric_imports as ii
      where ii.music_video_id = l.music_video_id
      order by ii.created_at desc
      limit 1
    ) as i
  ),
  gone as (
    delete from private.music_video_metric_summaries as s
    using latest as l
    where s.music_video_id = l.music_video_id
      and l.live_platforms = 0
      and not exists (select 1 from last_sync as x where x.music_video_id = l.music_video_id)
  )
  insert into private.music_video_metric_summaries as s (
    music_video_id, views_total, views_by_platform, chart_position, chart_source, chart_collected_at,
    last_collected_at, last_sync_id, last_sync_source, last_sync_status, last_sync_created_at,
    last_sync_completed_at, last_sync_error, updated_at
  )
  select
    l.music_video_id, l.views_total, l.views_by_platform, l.chart_position, l.chart_source,
    l.chart_collected_at, l.last_collected_at, x.id, x.source, x.status, x.created_at, x.completed_at,
    x.error_message, now()
  from latest as l
  left join last_sync as x on l.music_video_id = x.music_video_id
  where l.live_platforms > 0 or x.id is not null
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

-- Summaries for the metrics and imports already stored.
select private.refresh_music_video_metric_summaries(array_agg(distinct x.music_video_id))
from (
  select m.music_video_id from public.music_video_metrics as m
  union all
  select i.music_video_id from public.music_video_metric_imports as i
  where i.music_video_id is not null
) as x;
