-- GET /music-videos?release_id (spec 2.3): the Music Videos tab's one call. A page of cards
-- (theme, style, budget band, KPI targets, latest views and chart position, last sync), the
-- per-status counts for the header badges (acceptance criterion 1) and the release's draft for
-- the wizard's "resume draft" CTA (spec 1.2), with the ?status= filter, a title/slug search
-- and keyset pagination.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The list's order (newest first, id breaking ties) as an index, so a page is a range scan of
-- one release's rows that stops after the page, whatever the page.
-- Plain (not concurrent) build: each migration runs in one transaction, and the table is new.
-- squawk-ignore require-concurrent-index-creation
create index music_videos_release_created_idx
on public.music_videos (release_id, created_at desc, id desc);

-- The latest live (not soft-deleted) metric row per video and platform is one probe into this
-- index; the history RPC pages through it too. Soft-deleted rows are not in it.
-- squawk-ignore require-concurrent-index-creation
create index music_video_metrics_live_idx
on public.music_video_metrics (music_video_id, platform, collected_at desc)
where deleted_at is null;

-- Opaque keyset cursors: base64 of a small JSON object. Decoding a cursor this API did not
-- issue raises 22023 with the field error in detail.
create or replace function private.encode_cursor(p_key jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select translate(encode(convert_to(p_key::text, 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;

create or replace function private.decode_cursor(p_cursor text, p_param text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_b64 text;
  v_key jsonb;
begin
  if p_cursor is null or p_cursor = '' then
    return null;
  end if;
  v_b64 := translate(p_cursor, '-_', '+/');
  v_b64 := v_b64 || repeat('=', (4 - length(v_b64) % 4) % 4);
  v_key := convert_from(decode(v_b64, 'base64'), 'UTF8')::jsonb;
  if jsonb_typeof(v_key) <> 'object' then
    raise exception 'not an object';
  end if;
  return v_key;
exception
  when others then
    raise exception using
      errcode = '22023',
      message = 'Invalid page cursor',
      detail = jsonb_build_object(p_param, 'is not a cursor this endpoint returned')::text,
      hint = 'Pass the next_cursor of the previous page unchanged, or omit it for the first page.';
end
$$;

revoke all on function private.encode_cursor(jsonb) from public;
revoke all on function private.decode_cursor(text, text) from public;
grant execute on function private.encode_cursor(jsonb) to authenticated, service_role;
grant execute on function private.decode_cursor(text, text) to authenticated, service_role;

-- security invoker: RLS on every table read here decides what the caller sees; the explicit
-- check only turns "not yours" into the same PT404 as "does not exist". The service role
-- (workers, exports) may list any release.
-- Parameters are named as the other RPCs name theirs (get_music_video(id), create_music_video(
-- release_id, ...)); release_id is text so a malformed id is the same PT404 as a missing one.
-- Returns json (text), built as json: PostgREST sends text anyway, and 200 cards built as jsonb
-- (sorted binary objects) cost more for nothing.
-- Body: {release_id, items: [card], next_cursor, counts: {<status>: n, ..., total}, resume_draft}.
-- A card holds what a board card shows, nothing more (the plan itself is get_music_video):
--   {id, title, slug, status,
--    theme {name}, art_style {name},
--    budget_estimate, budget_band {name, currency_code} (the estimate's currency),
--    kpi_view_target, kpi_chart_target, kpi_chart_target_label,
--    metrics {views_total, views_by_platform {<platform>: views}, chart_position, chart_source},
--    last_sync {status, source, created_at, completed_at} or null,
--    updated_at}
-- metrics and last_sync come from private.music_video_metric_summaries (20261124015500..015700:
-- the latest live metric row per platform and the latest import, kept per video at commit), one
-- primary-key probe per card. That table is created by a later migration; a plpgsql body is
-- resolved when it runs, so it is read by name here.
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
     or not private.can_access_release(v_release) then
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
      select
        v.id, v.title, v.slug, v.status, v.video_theme_id, v.art_style_id, v.budget_estimate,
        v.budget_band_id, v.kpi_view_target, v.kpi_chart_target, v.created_at, v.updated_at
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
    -- Each card is row_to_json of one row (compact text, names from the columns); the catalog
    -- objects are built once per catalog row, not once per card.
    cards as (
      select
        nb.n,
        nb.created_at,
        nb.id,
        row_to_json(x) as card
      from numbered as nb
      left join (
        select t.id, json_build_object('name', t.name) as j
        from public.music_video_themes as t
      ) as t on nb.video_theme_id = t.id
      left join (
        select s.id, json_build_object('name', s.name) as j
        from public.music_video_art_styles as s
      ) as s on nb.art_style_id = s.id
      left join (
        select b.id, json_build_object('name', b.name, 'currency_code', b.currency_code) as j
        from public.music_video_budgets as b
      ) as b on nb.budget_band_id = b.id
      left join public.music_video_chart_sources as cs on nb.kpi_chart_target = cs.id
      -- The card's metrics and last sync, precomputed per video (one primary-key probe).
      left join private.music_video_metric_summaries as lm on nb.id = lm.music_video_id
      cross join lateral (
        select
          nb.id,
          nb.title,
          nb.slug,
          nb.status,
          t.j as theme,
          s.j as art_style,
          nb.budget_estimate,
          b.j as budget_band,
          nb.kpi_view_target,
          nb.kpi_chart_target,
          cs.label as kpi_chart_target_label,
          (
            select row_to_json(m)
            from (
              select
                lm.views_total,
                coalesce(lm.views_by_platform, '{}'::jsonb) as views_by_platform,
                lm.chart_position,
                lm.chart_source
            ) as m
          ) as metrics,
          (
            select row_to_json(l)
            from (
              select
                lm.last_sync_status as status,
                lm.last_sync_source as source,
                lm.last_sync_created_at as created_at,
                lm.last_sync_completed_at as completed_at
            ) as l
            where lm.last_sync_id is not null
          ) as last_sync,
          nb.updated_at
      ) as x
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
