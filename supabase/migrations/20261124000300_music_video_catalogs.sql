-- The catalogs the planning wizard offers (spec 2.1): themes, art styles, budget bands,
-- quality tiers and cast options, plus the chart sources a KPI chart target may name and the
-- admin-editable settings that validation reads. Any signed-in user reads them; only admins
-- (app_metadata.role = 'admin') write them.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Themes a video can follow; genre_tags drive the concept suggestions.
create table public.music_video_themes (
  id uuid primary key default extensions.uuid_generate_v4(),
  name text not null unique,
  description text,
  visual_motifs jsonb not null default '[]'::jsonb,
  genre_tags text[] not null default '{}',
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now())
);
create index music_video_themes_genre_tags_idx on public.music_video_themes using gin (genre_tags);

-- Visual styling options.
create table public.music_video_art_styles (
  id uuid primary key default extensions.uuid_generate_v4(),
  name text not null unique,
  color_palette jsonb not null default '[]'::jsonb,
  lighting_profile text,
  camera_techniques text,
  moodboard_url text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now())
);

-- Quality definitions for production; one row per quality_tier_enum label.
create table public.music_video_quality_tiers (
  id uuid primary key default extensions.uuid_generate_v4(),
  tier public.quality_tier_enum not null unique,
  description text,
  expected_turnaround interval,
  crew_size_hint integer,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_quality_tiers_turnaround_positive
  check (expected_turnaround is null or expected_turnaround > interval '0'),
  constraint music_video_quality_tiers_crew_size_non_negative
  check (crew_size_hint is null or crew_size_hint >= 0)
);

-- Preset budget bands; a plan's line-item total must fall inside its band.
-- name is unique so the seed can be re-applied idempotently.
create table public.music_video_budgets (
  id uuid primary key default extensions.uuid_generate_v4(),
  name text not null unique,
  min_cost integer not null,
  max_cost integer not null,
  default_quality_tier public.quality_tier_enum,
  currency_code char(3) not null default 'USD',
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_budgets_min_below_max check (min_cost < max_cost),
  constraint music_video_budgets_min_non_negative check (min_cost >= 0),
  constraint music_video_budgets_currency_code_format check (currency_code ~ '^[A-Z]{3}$')
);

-- Cast and crew options with cost multipliers.
-- availability: {"unavailable": [{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "reason": text}]},
-- inclusive date ranges on which the option cannot shoot.
create table public.music_video_cast_options (
  id uuid primary key default extensions.uuid_generate_v4(),
  name text not null,
  role text not null,
  cost_multiplier numeric not null default 1,
  availability jsonb not null default '{"unavailable": []}'::jsonb,
  requires_union boolean not null default false,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_cast_options_name_role_key unique (name, role),
  constraint music_video_cast_options_cost_multiplier_non_negative check (cost_multiplier >= 0),
  constraint music_video_cast_options_availability_object check (jsonb_typeof(availability) = 'object')
);

-- Recognised chart sources a KPI chart target may name (served to the UI as a dropdown);
-- music_videos.kpi_chart_target references it, so an unknown string cannot be stored.
create table public.music_video_chart_sources (
  id text primary key,
  label text not null,
  provider text not null,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_chart_sources_id_format check (id ~ '^[a-z0-9_]+$')
);

-- Admin-editable configuration that validation reads, e.g. the budget contingency
-- (budget_contingency_pct, default 5).
create table public.music_video_settings (
  key text primary key,
  value jsonb not null,
  description text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now())
);

insert into public.music_video_settings (key, value, description)
values (
  'budget_contingency_pct', '5'::jsonb,
  'Percent over a budget band''s max_cost that line items may reach before a hard stop'
)
on conflict (key) do nothing;

insert into public.music_video_chart_sources (id, label, provider)
values
('billboard_hot_100', 'Billboard Hot 100', 'billboard'),
('billboard_global_200', 'Billboard Global 200', 'billboard'),
('spotify_global_weekly', 'Spotify Weekly Top Songs Global', 'spotify'),
('apple_music_top_100', 'Apple Music Top 100 (US)', 'apple_music')
on conflict (id) do nothing;

do $$
declare
  t text;
begin
  foreach t in array array[
    'music_video_themes', 'music_video_art_styles', 'music_video_quality_tiers',
    'music_video_budgets', 'music_video_cast_options', 'music_video_chart_sources',
    'music_video_settings'
  ] loop
    execute format('create trigger set_updated_at before update on public.%I '
                   'for each row execute function private.set_updated_at()', t);
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from anon', t);
    execute format('grant select, insert, update, delete on table public.%I to authenticated', t);
    execute format('grant all on table public.%I to service_role', t);
    execute format('create policy "Signed-in users read the catalog" on public.%I '
                   'for select to authenticated using (true)', t);
    execute format('create policy "Admins add catalog entries" on public.%I '
                   'for insert to authenticated with check ((select private.is_admin()))', t);
    execute format('create policy "Admins change catalog entries" on public.%I '
                   'for update to authenticated using ((select private.is_admin())) '
                   'with check ((select private.is_admin()))', t);
    execute format('create policy "Admins remove catalog entries" on public.%I '
                   'for delete to authenticated using ((select private.is_admin()))', t);
  end loop;
end
$$;
