-- The card's "last sync" joins the per-video summary (20261124015500/015600) instead of being
-- one more index probe into music_video_metric_imports per card: the benchmark's 200-card list
-- spent about a third of its time there. Import rows note their video like metric rows do, and
-- the same commit-time flush refreshes the summary; heartbeats (updates that change none of
-- status, completed_at, error_message) note nothing.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter table private.music_video_metric_summaries
add column last_sync_id uuid,
add column last_sync_source text,
add column last_sync_status public.import_status_enum,
add column last_sync_created_at timestamptz,
add column last_sync_completed_at timestamptz,
add column last_sync_error text;

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

-- Statement trigger on music_video_metric_imports: note the videos whose latest import may have
-- changed, for the commit-time flush (private.flush_music_video_metric_summaries).
create or replace function private.note_music_video_import_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
begin
  if tg_op = 'INSERT' then
    select string_agg(distinct n.music_video_id::text, ',') into v_ids
    from new_rows as n
    where n.music_video_id is not null;
  elsif tg_op = 'UPDATE' then
    select string_agg(distinct x.id::text, ',') into v_ids
    from (
      select n.music_video_id as id
      from new_rows as n
      inner join old_rows as o on n.id = o.id
      where (n.status, n.completed_at, n.error_message, n.music_video_id)
        is distinct from (o.status, o.completed_at, o.error_message, o.music_video_id)
      union all
      select o.music_video_id
      from new_rows as n
      inner join old_rows as o on n.id = o.id
      where n.music_video_id is distinct from o.music_video_id
    ) as x
    where x.id is not null;
  else
    select string_agg(distinct o.music_video_id::text, ',') into v_ids
    from old_rows as o
    where o.music_video_id is not null;
  end if;
  if v_ids is null then
    return null;
  end if;
  perform set_config(
    'mv.metric_summary_dirty',
    concat_ws(',', nullif(current_setting('mv.metric_summary_dirty', true), ''), v_ids),
    true
  );
  insert into private.music_video_metric_summary_flushes (txid) values (txid_current())
  on conflict (txid) do nothing;
  return null;
end
$$;
revoke all on function private.note_music_video_import_summaries() from public;

create trigger note_summaries_on_insert
after insert on public.music_video_metric_imports
referencing new table as new_rows
for each statement execute function private.note_music_video_import_summaries();
create trigger note_summaries_on_update
after update on public.music_video_metric_imports
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_import_summaries();
create trigger note_summaries_on_delete
after delete on public.music_video_metric_imports
referencing old table as old_rows
for each statement execute function private.note_music_video_import_summaries();

-- Summaries for the imports already stored.
select private.refresh_music_video_metric_summaries(array_agg(distinct i.music_video_id))
from public.music_video_metric_imports as i
where i.music_video_id is not null;

-- Same signature and return type as 20261124015500; the card's last_sync now comes from the summary.
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
          'last_sync', case when lm.last_sync_id is not null then json_build_object(
            'id', lm.last_sync_id, 'source', lm.last_sync_source, 'status', lm.last_sync_status,
            'created_at', lm.last_sync_created_at, 'completed_at', lm.last_sync_completed_at,
            'error_message', lm.last_sync_error) end
        ) as card
      from numbered as nb
      left join public.music_video_themes as t on nb.video_theme_id = t.id
      left join public.music_video_art_styles as s on nb.art_style_id = s.id
      left join public.music_video_budgets as b on nb.budget_band_id = b.id
      left join public.music_video_chart_sources as cs on nb.kpi_chart_target = cs.id
      -- The card's metrics and last sync, precomputed per video (one primary-key probe).
      left join private.music_video_metric_summaries as lm on nb.id = lm.music_video_id
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
