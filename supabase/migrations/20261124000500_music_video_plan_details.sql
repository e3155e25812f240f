-- What hangs off a plan: budget line items, cast assignments, platform targets, moodboard
-- files and the board's status history. Each row belongs to one video and follows its access.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Budget line-item allocations (spec 1.2 "Budget & Quality"): one amount per category, so the
-- total can be validated against the band and reported.
create table public.music_video_budget_line_items (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  category text not null,
  amount integer not null,
  notes text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_budget_line_items_video_category_key unique (music_video_id, category),
  constraint music_video_budget_line_items_category_known
  check (category in ('direction', 'cinematography', 'post', 'marketing')),
  constraint music_video_budget_line_items_amount_non_negative check (amount >= 0)
);

-- Pivot linking plans to cast options.
create table public.music_video_cast_assignments (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  cast_option_id uuid not null references public.music_video_cast_options (id),
  role_override text,
  cost_estimate integer,
  confirmed boolean not null default false,
  notes text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_cast_assignments_video_option_key unique (music_video_id, cast_option_id),
  constraint music_video_cast_assignments_cost_non_negative check (cost_estimate >= 0)
);
create index music_video_cast_assignments_cast_option_id_idx
on public.music_video_cast_assignments (cast_option_id);

-- Selected distribution platforms. external_id is what ingestion needs (for YouTube, the
-- 11-character video id parsed from launch_url).
create table public.music_video_platform_targets (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  platform public.platform_enum not null,
  auto_sync boolean not null default true,
  priority integer,
  launch_url text,
  external_id text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_platform_targets_video_platform_key unique (music_video_id, platform),
  constraint music_video_platform_targets_priority_non_negative check (priority >= 0),
  constraint music_video_platform_targets_youtube_id_format
  check (platform <> 'youtube' or external_id is null or external_id ~ '^[A-Za-z0-9_-]{11}$')
);
-- The YouTube worker looks targets up by external id.
create index music_video_platform_targets_external_id_idx
on public.music_video_platform_targets (platform, external_id) where external_id is not null;

-- Moodboard files for the concept step; the bytes live in the music-video-moodboards bucket
-- under <release_id>/<music_video_id>/<file>.
create table public.music_video_moodboards (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  storage_path text not null unique,
  caption text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now())
);
create index music_video_moodboards_music_video_id_idx on public.music_video_moodboards (music_video_id);

-- The board's history: who moved a video, when, from which lane to which. Written only by the
-- trigger below, so it cannot be forged through the API.
create table public.music_video_status_history (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  from_status public.video_status_enum,
  to_status public.video_status_enum not null,
  changed_by uuid references auth.users (id) on delete set null,
  changed_at timestamptz not null default timezone('utc'::text, now())
);
create index music_video_status_history_video_changed_idx
on public.music_video_status_history (music_video_id, changed_at desc);
create index music_video_status_history_changed_by_idx on public.music_video_status_history (changed_by);

-- Records every status change (and the initial status), whatever path wrote it.
create or replace function private.record_music_video_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    insert into public.music_video_status_history (music_video_id, from_status, to_status, changed_by)
    values (new.id, case when tg_op = 'UPDATE' then old.status end, new.status, (select auth.uid()));
  end if;
  return null;
end
$$;
revoke all on function private.record_music_video_status() from public;

create trigger record_status after insert or update of status on public.music_videos
for each row execute function private.record_music_video_status();

do $$
declare
  t text;
begin
  foreach t in array array[
    'music_video_budget_line_items', 'music_video_cast_assignments',
    'music_video_platform_targets', 'music_video_moodboards'
  ] loop
    execute format('create trigger set_updated_at before update on public.%I '
                   'for each row execute function private.set_updated_at()', t);
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from anon', t);
    execute format('grant select, insert, update, delete on table public.%I to authenticated', t);
    execute format('grant all on table public.%I to service_role', t);
    execute format('create policy "Release owners read their video''s rows" on public.%I '
                   'for select to authenticated '
                   'using (music_video_id in (select private.accessible_video_ids()))', t);
    execute format('create policy "Release owners add rows to their videos" on public.%I '
                   'for insert to authenticated '
                   'with check (music_video_id in (select private.accessible_video_ids()))', t);
    execute format('create policy "Release owners change their video''s rows" on public.%I '
                   'for update to authenticated '
                   'using (music_video_id in (select private.accessible_video_ids())) '
                   'with check (music_video_id in (select private.accessible_video_ids()))', t);
    execute format('create policy "Release owners remove their video''s rows" on public.%I '
                   'for delete to authenticated '
                   'using (music_video_id in (select private.accessible_video_ids()))', t);
  end loop;
end
$$;

-- Status history: owners read it; nobody writes it through the API.
alter table public.music_video_status_history enable row level security;
revoke all on table public.music_video_status_history from anon;
grant select on table public.music_video_status_history to authenticated;
grant all on table public.music_video_status_history to service_role;
create policy "Release owners read their videos' status history" on public.music_video_status_history
for select to authenticated using (music_video_id in (select private.accessible_video_ids()));
