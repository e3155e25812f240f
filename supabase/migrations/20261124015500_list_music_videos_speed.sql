-- Speed of list_music_videos at volume (benchmarks/bench_api.py: 200 cards, 1,000,000 metric
-- rows). EXPLAIN showed two causes, fixed here:
-- 1. The card's latest metrics were 7 index probes per card (one per platform label), and under
--    RLS worse: enum equality (enum_eq) is not leakproof, so the planner may not use
--    `platform = ...` as an index condition ahead of the policy's qual; each probe walked the
--    video's ~100 rows and filtered them (owner 39 ms vs service role 12 ms). Each video's card
--    metrics now live in private.music_video_metric_summaries, kept current by statement-level
--    triggers on music_video_metrics, so a card costs one primary-key probe (uuid equality is
--    leakproof, RLS keeps the index).
-- 2. Building 200 cards as jsonb (sorted binary objects) cost more than the text json PostgREST
--    sends anyway; the RPC now returns json (same keys and values).
-- 3. Every policy that asks `music_video_id in (select private.accessible_video_ids())` planned a
--    hash join over a Seq Scan of all music_videos (~2 ms at 10,000 videos, twice per list call):
--    as set-returning functions the access helpers were estimated at 1,000 rows each. They now
--    carry realistic estimates (ROWS), so the planner probes music_videos by release_id.
-- The policies themselves are unchanged.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Planner estimates only: what the helpers return is unchanged (a user has a handful of
-- releases and their videos, not a thousand). A later `create or replace` of either helper must
-- repeat these ROWS clauses.
alter function private.accessible_release_ids() rows 10;
alter function private.accessible_video_ids() rows 100;

-- One row per video that has live metrics: the latest live (not soft-deleted) row per platform,
-- summed and keyed by platform, and the latest chart position. Written only by the trigger
-- function below; read by list_music_videos under RLS (owners and admins, as the metrics).
create table private.music_video_metric_summaries (
  music_video_id uuid primary key references public.music_videos (id) on delete cascade,
  views_total bigint,
  views_by_platform jsonb not null default '{}'::jsonb,
  chart_position integer,
  chart_source text,
  chart_collected_at timestamptz,
  last_collected_at timestamptz,
  updated_at timestamptz not null default now()
);
alter table private.music_video_metric_summaries enable row level security;
revoke all on table private.music_video_metric_summaries from anon, authenticated;
grant select on table private.music_video_metric_summaries to authenticated;
grant all on table private.music_video_metric_summaries to service_role;
create policy "Release owners and admins read" on private.music_video_metric_summaries
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));

-- Recomputes the summaries of the given videos from music_video_metrics_live_idx (one probe per
-- platform label, as the definer: no RLS in the way). Videos without live metrics lose their row.
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
  gone as (
    delete from private.music_video_metric_summaries as s
    using latest as l
    where s.music_video_id = l.music_video_id and l.live_platforms = 0
  )
  insert into private.music_video_metric_summaries as s (
    music_video_id, views_total, views_by_platform, chart_position, chart_source, chart_collected_at,
    last_collected_at, updated_at
  )
  select
    l.music_video_id, l.views_total, l.views_by_platform, l.chart_position, l.chart_source,
    l.chart_collected_at, l.last_collected_at, now()
  from latest as l
  where l.live_platforms > 0
  on conflict (music_video_id) do update
  set views_total = excluded.views_total,
    views_by_platform = excluded.views_by_platform,
    chart_position = excluded.chart_position,
    chart_source = excluded.chart_source,
    chart_collected_at = excluded.chart_collected_at,
    last_collected_at = excluded.last_collected_at,
    updated_at = excluded.updated_at
$$;
revoke all on function private.refresh_music_video_metric_summaries(uuid[]) from public;
grant execute on function private.refresh_music_video_metric_summaries(uuid[]) to service_role;

-- After any statement that changed metric rows (insert, upsert, soft delete, delete): refresh
-- the touched videos once. A per-video advisory lock, taken in id order, makes a concurrent
-- writer of the same video wait until this transaction commits; its refresh then runs on a
-- fresh snapshot and sees both writes, so the summary never goes back to an older state.
create or replace function private.refresh_music_video_metric_summaries_trigger()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.music_video_id order by n.music_video_id) into v_ids from new_rows as n;
  elsif tg_op = 'UPDATE' then
    select array_agg(distinct x.id order by x.id) into v_ids
    from (
      select n.music_video_id as id from new_rows as n
      union all
      select o.music_video_id from old_rows as o
    ) as x;
  else
    select array_agg(distinct o.music_video_id order by o.music_video_id) into v_ids from old_rows as o;
  end if;
  if v_ids is null then
    return null;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('music_video_metric_summaries:' || x.id::text, 0))
  from unnest(v_ids) as x (id)
  order by x.id;
  perform private.refresh_music_video_metric_summaries(v_ids);
  return null;
end
$$;
revoke all on function private.refresh_music_video_metric_summaries_trigger() from public;

create trigger refresh_metric_summaries_on_insert
after insert on public.music_video_metrics
referencing new table as new_rows
for each statement execute function private.refresh_music_video_metric_summaries_trigger();
create trigger refresh_metric_summaries_on_update
after update on public.music_video_metrics
referencing old table as old_rows new table as new_rows
for each statement execute function private.refresh_music_video_metric_summaries_trigger();
create trigger refresh_metric_summaries_on_delete
after delete on public.music_video_metrics
referencing old table as old_rows
for each statement execute function private.refresh_music_video_metric_summaries_trigger();

-- Summaries for the metrics already stored.
select private.refresh_music_video_metric_summaries(array_agg(distinct m.music_video_id))
from public.music_video_metrics as m;

-- The list RPC, reading the summaries and building json. Same parameters, keys and errors; the
-- return type changes (jsonb -> json), which create or replace cannot do.
-- squawk-ignore ban-drop-function
drop function public.list_music_videos(text, text[], text, text, integer);

-- Parameters are named as the other RPCs name theirs (get_music_video(id), create_music_video(
-- release_id, ...)); release_id is text so a malformed id is the same PT404 as a missing one.
create or replace function public.list_music_videos(
  release_id text default null,
  status text[] default null,
  search text default null,
  cursor text default null,
  page_size integer default 50
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.try_uuid(btrim(list_music_videos.release_id));
  v_limit integer := list_music_videos.page_size;
  v_statuses public.video_status_enum[];
  v_unknown text[];
  v_pattern text;
  v_key jsonb;
  v_after_created timestamptz;
  v_after_id uuid;
begin
  if v_release is null
     or not ((select auth.role()) = 'service_role' or private.can_access_release(v_release)) then
    raise exception using errcode = 'PT404', message = 'Release not found';
  end if;

  if v_limit is null or v_limit < 1 or v_limit > 200 then
    raise exception using
      errcode = '22023',
      message = 'Invalid page size',
      detail = jsonb_build_object('page_size', 'must be between 1 and 200')::text;
  end if;

  -- ?status= as the UI keeps it: one or several labels; empty means all.
  if cardinality(list_music_videos.status) > 0 then
    select array_agg(s) filter (where s not in (select unnest(enum_range(null::public.video_status_enum))::text))
    into v_unknown
    from unnest(list_music_videos.status) as s;
    if v_unknown is not null then
      raise exception using
        errcode = '22023',
        message = 'Unknown status filter',
        detail = jsonb_build_object('status', 'unknown status: ' || array_to_string(v_unknown, ', '))::text,
        hint = 'Use draft, planned, in_production, post_production, released or archived.';
    end if;
    v_statuses := list_music_videos.status::public.video_status_enum[];
  end if;

  if nullif(btrim(list_music_videos.search), '') is not null then
    v_pattern := '%' || replace(replace(replace(btrim(list_music_videos.search), '\', '\\'), '%', '\%'), '_', '\_') || '%';
  end if;

  v_key := private.decode_cursor(list_music_videos.cursor, 'cursor');
  if v_key is not null then
    begin
      v_after_created := (v_key ->> 'c')::timestamptz;
      v_after_id := (v_key ->> 'i')::uuid;
    exception
      when others then
        v_after_created := null;
    end;
    if v_after_created is null or v_after_id is null then
      raise exception using
        errcode = '22023',
        message = 'Invalid page cursor',
        detail = jsonb_build_object('cursor', 'is not a cursor this endpoint returned')::text,
        hint = 'Pass the next_cursor of the previous page unchanged, or omit it for the first page.';
    end if;
  end if;

  return (
    with page as (
      select v.*
      from public.music_videos as v
      where v.release_id = v_release
        and (v_statuses is null or v.status = any(v_statuses))
        and (v_pattern is null or v.title ilike v_pattern or v.slug ilike v_pattern)
        and (v_after_created is null or (v.created_at, v.id) < (v_after_created, v_after_id))
      order by v.created_at desc, v.id desc
      limit v_limit + 1
    ),
    numbered as (
      select page.*, row_number() over (order by page.created_at desc, page.id desc) as n
      from page
    ),
    cards as (
      select
        nb.n,
        nb.created_at,
        nb.id,
        json_build_object(
          'id', nb.id,
          'release_id', nb.release_id,
          'title', nb.title,
          'slug', nb.slug,
          'status', nb.status,
          'quality_tier', nb.quality_tier,
          'budget_estimate', nb.budget_estimate,
          'budget_band', case when b.id is not null then json_build_object(
            'id', b.id, 'name', b.name, 'min_cost', b.min_cost, 'max_cost', b.max_cost,
            'currency_code', b.currency_code) end,
          'theme', case when t.id is not null then json_build_object('id', t.id, 'name', t.name) end,
          'art_style', case when s.id is not null then json_build_object('id', s.id, 'name', s.name) end,
          'target_release_date', nb.target_release_date,
          'shoot_start_date', nb.shoot_start_date,
          'shoot_end_date', nb.shoot_end_date,
          'kpi_view_target', nb.kpi_view_target,
          'kpi_chart_target', nb.kpi_chart_target,
          'kpi_chart_target_label', cs.label,
          'primary_platform', nb.primary_platform,
          'sync_strategy', nb.sync_strategy,
          'promo_only', nb.promo_only,
          'submitted_at', nb.submitted_at,
          'created_at', nb.created_at,
          'updated_at', nb.updated_at,
          'metrics', json_build_object(
            'views_total', lm.views_total,
            'views_by_platform', coalesce(lm.views_by_platform, '{}'::jsonb),
            'chart_position', lm.chart_position,
            'chart_source', lm.chart_source,
            'chart_collected_at', lm.chart_collected_at,
            'last_collected_at', lm.last_collected_at
          ),
          'last_sync', case when ls.id is not null then json_build_object(
            'id', ls.id, 'source', ls.source, 'status', ls.status, 'created_at', ls.created_at,
            'completed_at', ls.completed_at, 'error_message', ls.error_message) end
        ) as card
      from numbered as nb
      left join public.music_video_themes as t on nb.video_theme_id = t.id
      left join public.music_video_art_styles as s on nb.art_style_id = s.id
      left join public.music_video_budgets as b on nb.budget_band_id = b.id
      left join public.music_video_chart_sources as cs on nb.kpi_chart_target = cs.id
      -- The card's metrics, precomputed per video (one primary-key probe).
      left join private.music_video_metric_summaries as lm on nb.id = lm.music_video_id
      left join lateral (
        select i.id, i.source, i.status, i.created_at, i.completed_at, i.error_message
        from public.music_video_metric_imports as i
        where i.music_video_id = nb.id
        order by i.created_at desc
        limit 1
      ) as ls on true
      where nb.n <= v_limit
    )
    select json_build_object(
      'release_id', v_release,
      'items', coalesce((select json_agg(c.card order by c.n) from cards as c), '[]'::json),
      'next_cursor', (
        select private.encode_cursor(jsonb_build_object('c', c.created_at, 'i', c.id))
        from cards as c
        where c.n = v_limit
          and exists (select 1 from numbered as nb2 where nb2.n = v_limit + 1)
      ),
      'counts', (
        select json_object_agg(k.key, k.n order by k.ord)
        from (
          select st.status::text as key, coalesce(cnt.n, 0) as n, st.ord
          from unnest(enum_range(null::public.video_status_enum)) with ordinality as st (status, ord)
          left join (
            select v.status, count(*) as n
            from public.music_videos as v
            where v.release_id = v_release
            group by v.status
          ) as cnt on st.status = cnt.status
          union all
          select 'total', count(*), 100
          from public.music_videos as v
          where v.release_id = v_release
        ) as k
      ),
      'resume_draft', (
        select json_build_object(
          'id', d.id, 'title', d.title, 'slug', d.slug, 'wizard_step', d.wizard_step,
          'wizard_state', d.wizard_state, 'updated_at', d.updated_at)
        from public.music_videos as d
        where d.release_id = v_release
          and d.status = 'draft'
          and d.submitted_at is null
        order by d.updated_at desc, d.id desc
        limit 1
      )
    )
  );
end
$$;

revoke all on function public.list_music_videos(text, text[], text, text, integer) from public, anon;
grant execute on function public.list_music_videos(text, text[], text, text, integer)
to authenticated, service_role;
