-- The core record of a planned or released music video (spec 2.1), with what the rest of the
-- spec needs: the wizard's choices (theme, art style, budget band, narrative outline), the
-- promo_only flag (spec 4.3), the draft autosave state, and the keys the chart adapters match on.
-- Owners of the release read and write it; everything else under a video follows the video.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.music_videos (
  id uuid primary key default extensions.uuid_generate_v4(),
  release_id uuid not null references public.releases (id) on delete cascade,
  -- title and slug may be empty while the plan is a draft; submit requires the title.
  title text,
  slug text,
  status public.video_status_enum not null default 'draft',
  budget_estimate integer,
  quality_tier public.quality_tier_enum,
  target_release_date date,
  shoot_start_date date,
  shoot_end_date date,
  kpi_view_target integer,
  kpi_chart_target text references public.music_video_chart_sources (id),
  primary_platform public.platform_enum,
  sync_strategy public.sync_strategy_enum not null default 'manual',
  -- Wizard choices (spec 1.2 "Concept & Theme", "Budget & Quality"; required at submit, 4.3).
  video_theme_id uuid references public.music_video_themes (id),
  art_style_id uuid references public.music_video_art_styles (id),
  budget_band_id uuid references public.music_video_budgets (id),
  narrative_outline text,
  -- Non-release concept videos: YouTube is then not required among the platforms (4.3).
  promo_only boolean not null default false,
  -- Draft autosave: the wizard's partial form state and step, saved on each step change,
  -- so a draft can be resumed; submitted_at is set when the plan passes full validation.
  wizard_state jsonb not null default '{}'::jsonb,
  wizard_step text,
  submitted_at timestamptz,
  -- Chart matching keys, strongest first (spec 3.2): Spotify track URI, Apple Music id, ISRC,
  -- then normalised title plus artist_name.
  spotify_track_uri text,
  apple_music_id text,
  isrc text,
  artist_name text,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_videos_release_slug_key unique (release_id, slug),
  constraint music_videos_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  constraint music_videos_title_not_blank check (title is null or btrim(title) <> ''),
  constraint music_videos_budget_estimate_non_negative check (budget_estimate >= 0),
  constraint music_videos_kpi_view_target_non_negative check (kpi_view_target >= 0),
  constraint music_videos_wizard_state_object check (jsonb_typeof(wizard_state) = 'object'),
  constraint music_videos_isrc_format check (isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$')
);

-- release_id is read by every policy and by the list RPC (with status for the lanes);
-- music_videos_release_slug_key already leads with release_id.
create index music_videos_release_status_idx on public.music_videos (release_id, status);
create index music_videos_video_theme_id_idx on public.music_videos (video_theme_id);
create index music_videos_art_style_id_idx on public.music_videos (art_style_id);
create index music_videos_budget_band_id_idx on public.music_videos (budget_band_id);
create index music_videos_kpi_chart_target_idx on public.music_videos (kpi_chart_target);
create index music_videos_created_by_idx on public.music_videos (created_by);
-- The nightly sync enqueues every scheduled video.
create index music_videos_scheduled_idx on public.music_videos (id) where sync_strategy = 'scheduled';

create trigger set_updated_at before update on public.music_videos
for each row execute function private.set_updated_at();

-- The videos the current user may access: those of its accessible releases. Child tables'
-- policies use it as `music_video_id in (select ...)`; it asks the one release rule. rows 100
-- is a planner estimate only (see accessible_release_ids); plpgsql for the cached plan, as there.
create or replace function private.accessible_video_ids()
returns setof uuid
language plpgsql
stable
security definer
rows 100
set search_path = ''
as $$
begin
  return query
  select v.id
  from public.music_videos as v
  where v.release_id in (select private.accessible_release_ids());
end
$$;

-- Single-video form, for RPCs: false for a video that does not exist or is not yours alike.
-- The service role (operators, the workers) bypasses RLS anyway and may act on any video: for
-- it the ownership rule is skipped and only existence is checked (one primary-key probe).
create or replace function private.can_access_video(p_music_video_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1
    from public.music_videos as v
    where v.id = p_music_video_id
      and (
        coalesce((select auth.role()) = 'service_role', false)
        or v.release_id in (select private.accessible_release_ids())
      )
  );
end
$$;
revoke all on function private.accessible_video_ids() from public;
revoke all on function private.can_access_video(uuid) from public;
grant execute on function private.accessible_video_ids() to authenticated, service_role;
grant execute on function private.can_access_video(uuid) to authenticated, service_role;

alter table public.music_videos enable row level security;
revoke all on table public.music_videos from anon;
grant select, insert, update, delete on table public.music_videos to authenticated;
grant all on table public.music_videos to service_role;

create policy "Release owners read their videos" on public.music_videos
for select to authenticated using (release_id in (select private.accessible_release_ids()));
create policy "Release owners create videos" on public.music_videos
for insert to authenticated with check (release_id in (select private.accessible_release_ids()));
create policy "Release owners change their videos" on public.music_videos
for update to authenticated
using (release_id in (select private.accessible_release_ids()))
with check (release_id in (select private.accessible_release_ids()));
create policy "Release owners delete their videos" on public.music_videos
for delete to authenticated using (release_id in (select private.accessible_release_ids()));
