-- The board as typed rows (issue 12, sections 1-2: "the reads the board and panels call return
-- typed rows"): list_music_videos returned one json document {items, counts, next_cursor,
-- resume_draft}, which Supabase's type generator can only call Json. The board is now three
-- small reads a React board calls side by side with supabase-js:
--   list_music_videos        setof music_video_card: one row per card, keyset paged; the page's
--                            last row carries next_cursor when another page follows
--   music_video_status_counts setof music_video_status_count: one row per status (zeros
--                            included, enum order) for the header badges; total = their sum
--   music_video_resume_draft setof music_video_draft_ref: zero or one row, the wizard's
--                            "resume draft" CTA
-- Parameters carry their real types (status is video_status_enum[]); release_id stays text so
-- a malformed id is the same PT404 as a missing or foreign one. Bad arguments are 22023 with
-- detail {"problems": [{field, code, message}]} (private.raise_bad_argument).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One board card: what a card shows, nothing more (the plan itself is get_music_video). The
-- metrics and last-sync columns come from private.music_video_metric_summaries.
create type public.music_video_card as (
  id uuid,
  release_id uuid,
  title text,
  slug text,
  status public.video_status_enum,
  theme_name text,
  art_style_name text,
  budget_estimate integer,
  budget_band_name text,
  -- the band's currency, which is the estimate's
  budget_currency_code text,
  kpi_view_target integer,
  kpi_chart_target text,
  kpi_chart_target_label text,
  -- latest live views summed over platforms, and per platform ({"youtube": 123, ...})
  views_total bigint,
  views_by_platform jsonb,
  chart_position integer,
  chart_source text,
  last_sync_status public.import_status_enum,
  last_sync_source text,
  last_sync_created_at timestamptz,
  last_sync_completed_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  -- set on the page's last row only when another page follows: pass it as cursor
  next_cursor text
);

-- One header badge: a status and how many of the release's videos have it.
create type public.music_video_status_count as (
  status public.video_status_enum,
  videos bigint
);

-- The release's resumable draft (newest unsubmitted draft) for the wizard's CTA.
create type public.music_video_draft_ref as (
  id uuid,
  title text,
  slug text,
  wizard_step text,
  wizard_state jsonb,
  updated_at timestamptz
);

grant usage on type public.music_video_card to authenticated, service_role;
grant usage on type public.music_video_status_count to authenticated, service_role;
grant usage on type public.music_video_draft_ref to authenticated, service_role;

-- The cursor decoder answers in the one error shape (it answered a flat {cursor: message}).
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
    perform private.raise_bad_argument(p_param, 'invalid_cursor',
      'Invalid page cursor: pass the next_cursor of the previous page unchanged, or omit it for the first page.');
    return null;
end
$$;

-- The 22023 of a cursor this API issued but whose key no longer parses (same text as above).
create or replace function private.raise_bad_cursor(p_param text)
returns void
language sql
set search_path = ''
as $$
  select private.raise_bad_argument(p_param, 'invalid_cursor',
    'Invalid page cursor: pass the next_cursor of the previous page unchanged, or omit it for the first page.')
$$;
revoke all on function private.raise_bad_cursor(text) from public;
grant execute on function private.raise_bad_cursor(text) to authenticated, service_role;

-- The release behind a board read: PT404 when malformed, missing or not the caller's.
create or replace function private.board_release(p_release_id text)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_release uuid := private.try_uuid(btrim(p_release_id));
begin
  if v_release is null or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the id; you can only see your own releases.';
  end if;
  return v_release;
end
$$;
revoke all on function private.board_release(text) from public;
grant execute on function private.board_release(text) to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.list_music_videos(text, text[], text, text, integer);

-- security invoker: RLS on every table read here decides what the caller sees; the explicit
-- check only turns "not yours" into the same PT404 as "does not exist". Order: newest first
-- (created_at desc, id desc), one range scan of music_videos_release_created_idx.
create function public.list_music_videos(
  release_id text,
  status public.video_status_enum[] default null,
  search text default null,
  cursor text default null,
  page_size integer default 50
)
returns setof public.music_video_card
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.board_release(list_music_videos.release_id);
  v_limit integer := list_music_videos.page_size;
  v_statuses public.video_status_enum[];
  v_pattern text;
  v_key jsonb;
  v_after_created timestamptz;
  v_after_id uuid;
begin
  if v_limit is null or v_limit < 1 or v_limit > 200 then
    perform private.raise_bad_argument('page_size', 'out_of_range', 'page_size must be between 1 and 200.');
  end if;
  -- empty means all statuses
  if cardinality(list_music_videos.status) > 0 then
    v_statuses := list_music_videos.status;
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
      perform private.raise_bad_cursor('cursor');
    end if;
  end if;

  return query
  with page as (
    select
      v.id, v.release_id, v.title, v.slug, v.status, v.video_theme_id, v.art_style_id,
      v.budget_estimate, v.budget_band_id, v.kpi_view_target, v.kpi_chart_target, v.created_at,
      v.updated_at,
      row_number() over (order by v.created_at desc, v.id desc) as n
    from public.music_videos as v
    where v.release_id = v_release
      and (v_statuses is null or v.status = any(v_statuses))
      and (v_pattern is null or v.title ilike v_pattern or v.slug ilike v_pattern)
      and (v_after_created is null or (v.created_at, v.id) < (v_after_created, v_after_id))
    order by v.created_at desc, v.id desc
    limit v_limit + 1
  ),
  more as (
    select count(*) > v_limit as more from page
  )
  select
    pg.id,
    pg.release_id,
    pg.title,
    pg.slug,
    pg.status,
    t.name,
    s.name,
    pg.budget_estimate,
    b.name,
    b.currency_code::text,
    pg.kpi_view_target,
    pg.kpi_chart_target,
    cs.label,
    lm.views_total,
    coalesce(lm.views_by_platform, '{}'::jsonb),
    lm.chart_position,
    lm.chart_source,
    lm.last_sync_status,
    lm.last_sync_source,
    lm.last_sync_created_at,
    lm.last_sync_completed_at,
    pg.created_at,
    pg.updated_at,
    case when pg.n = v_limit and mr.more then
      private.encode_cursor(jsonb_build_object('c', pg.created_at, 'i', pg.id))
    end
  from page as pg
  cross join more as mr
  left join public.music_video_themes as t on pg.video_theme_id = t.id
  left join public.music_video_art_styles as s on pg.art_style_id = s.id
  left join public.music_video_budgets as b on pg.budget_band_id = b.id
  left join public.music_video_chart_sources as cs on pg.kpi_chart_target = cs.id
  -- the card's metrics and last sync, precomputed per video (one primary-key probe)
  left join private.music_video_metric_summaries as lm on pg.id = lm.music_video_id
  where pg.n <= v_limit
  order by pg.n;
end
$$;
revoke all on function public.list_music_videos(text, public.video_status_enum[], text, text, integer)
from public, anon;
grant execute on function public.list_music_videos(text, public.video_status_enum[], text, text, integer)
to authenticated, service_role;

-- The header badges: one row per status in the enum's order, zeros included.
create function public.music_video_status_counts(release_id text)
returns setof public.music_video_status_count
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.board_release(music_video_status_counts.release_id);
begin
  return query
  select st.status, coalesce(cnt.n, 0)::bigint
  from unnest(enum_range(null::public.video_status_enum)) with ordinality as st (status, ord)
  left join (
    select v.status, count(*) as n
    from public.music_videos as v
    where v.release_id = v_release
    group by v.status
  ) as cnt on st.status = cnt.status
  order by st.ord;
end
$$;
revoke all on function public.music_video_status_counts(text) from public, anon;
grant execute on function public.music_video_status_counts(text) to authenticated, service_role;

-- The resumable draft: the newest draft not yet submitted, or no row.
create function public.music_video_resume_draft(release_id text)
returns setof public.music_video_draft_ref
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.board_release(music_video_resume_draft.release_id);
begin
  return query
  select d.id, d.title, d.slug, d.wizard_step, d.wizard_state, d.updated_at
  from public.music_videos as d
  where d.release_id = v_release
    and d.status = 'draft'
    and d.submitted_at is null
  order by d.updated_at desc, d.id desc
  limit 1;
end
$$;
revoke all on function public.music_video_resume_draft(text) from public, anon;
grant execute on function public.music_video_resume_draft(text) to authenticated, service_role;
