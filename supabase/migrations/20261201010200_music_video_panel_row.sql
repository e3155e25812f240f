-- get_music_video as a typed row (issue 12, sections 1-2): the panel's read returned the plan
-- document as jsonb, which the type generator can only call Json. It now returns one row of
-- public.music_video_panel: every music_videos column with its own type, and the nested parts
-- (catalog objects, line items, cast, targets, moodboards, latest metrics and imports, status
-- history, budget, actuals, milestones, promo events, warnings, conflicts, open problems) as
-- jsonb columns, whose shapes stay those of private.music_video_document. The nesting is kept
-- for those parts only: they are lists of objects that the write RPCs return in the same
-- document, so the panel and every write answer keep one shape (the panel's columns are the
-- document's keys; a test keeps them equal).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The panel: the document's keys as columns (music_videos' columns in table order, then the
-- nested parts).
create type public.music_video_panel as (
  id uuid,
  release_id uuid,
  title text,
  slug text,
  status public.video_status_enum,
  budget_estimate integer,
  quality_tier public.quality_tier_enum,
  target_release_date date,
  shoot_start_date date,
  shoot_end_date date,
  kpi_view_target integer,
  kpi_chart_target text,
  primary_platform public.platform_enum,
  sync_strategy public.sync_strategy_enum,
  video_theme_id uuid,
  art_style_id uuid,
  budget_band_id uuid,
  narrative_outline text,
  promo_only boolean,
  wizard_state jsonb,
  wizard_step text,
  submitted_at timestamptz,
  spotify_track_uri text,
  apple_music_id text,
  isrc text,
  artist_name text,
  created_by uuid,
  created_at timestamptz,
  updated_at timestamptz,
  -- {id, name} or null
  theme jsonb,
  -- {id, name} or null
  art_style jsonb,
  -- {id, name, min_cost, max_cost, currency_code} or null
  budget_band jsonb,
  -- {id, label, provider} or null
  chart_source jsonb,
  -- [{id, category, amount, actual_amount, notes, ...}]
  line_items jsonb,
  -- [{id, cast_option_id, name, role, role_override, cost_estimate, cost_multiplier,
  --   projected_cost, confirmed, requires_union, notes}]
  cast_assignments jsonb,
  -- [{id, platform, auto_sync, priority, launch_url, external_id}]
  platform_targets jsonb,
  -- [{id, storage_path, caption, created_at}]
  moodboards jsonb,
  -- the newest live metric row per platform
  latest_metrics jsonb,
  -- the newest import job per source
  latest_imports jsonb,
  -- [{from_status, to_status, changed_by, changed_at}], oldest first
  status_history jsonb,
  -- {allocation_total, cast_cost_total, projected_total, min_cost, max_cost, contingency_pct,
  --  hard_limit, currency_code, band, budget_band_id}
  budget jsonb,
  -- {currency_code, allocation_total, actual_total, variance_total}
  budget_actuals jsonb,
  -- the milestone rows, by due date
  milestones jsonb,
  -- the promo event rows, by start
  promo_events jsonb,
  -- [{field, code, message}]: budget warnings
  warnings jsonb,
  -- [{kind, cast_option_id, name, role, from, to, message, ...}]
  availability_conflicts jsonb,
  -- [{field, code, message}]: what the plan rules say now
  open_problems jsonb
);
grant usage on type public.music_video_panel to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.get_music_video(text);

-- GET /music-videos/:id: one row (supabase-js .single()). id is text so that a malformed id is
-- the same PT404 as a missing or foreign one. The document is built once by its one home and
-- spread into the row's columns.
create function public.get_music_video(id text)
returns setof public.music_video_panel
language plpgsql
stable
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(get_music_video.id));
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only see videos of your own releases.';
  end if;
  return query
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.music_video_document(v_id)) as p;
end
$$;
revoke all on function public.get_music_video(text) from public, anon;
grant execute on function public.get_music_video(text) to authenticated, service_role;
