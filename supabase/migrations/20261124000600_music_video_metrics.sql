-- Performance data: the import jobs that fetch it and the metric rows they store.
-- music_video_metric_imports is also the job queue the workers claim from (ARCHITECTURE.md).
-- Release owners read both; only admins and the service role write them.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One import job: a sync of one source for one video, or one uploaded broadcast CSV.
create table public.music_video_metric_imports (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid references public.music_videos (id) on delete cascade,
  platform public.platform_enum,
  started_at timestamptz,
  completed_at timestamptz,
  status public.import_status_enum not null default 'pending',
  error_message text,
  triggered_by uuid references public.profiles (id) on delete set null,
  -- Which adapter runs the job.
  source text not null,
  -- Counts, column mappings, per-video outcomes, dedupe conflicts, raw payload paths.
  metadata jsonb not null default '{}'::jsonb,
  -- Queue state: attempts so far and the cap, when the job may next run, who holds it and
  -- until when (the lease, renewed by the worker's heartbeat).
  attempts integer not null default 0,
  max_attempts integer not null default 5,
  run_after timestamptz not null default now(),
  locked_by text,
  locked_until timestamptz,
  heartbeat_at timestamptz,
  -- Makes an enqueue idempotent, e.g. nightly:<run date>:<video>:<source>.
  dedupe_key text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_metric_imports_source_known check (source in ('youtube', 'charts', 'broadcast')),
  constraint music_video_metric_imports_attempts_non_negative check (attempts >= 0 and max_attempts >= 1),
  constraint music_video_metric_imports_metadata_object check (jsonb_typeof(metadata) = 'object'),
  constraint music_video_metric_imports_completed_after_started
  check (completed_at is null or started_at is null or completed_at >= started_at)
);
create index music_video_metric_imports_video_created_idx
on public.music_video_metric_imports (music_video_id, created_at desc);
create index music_video_metric_imports_triggered_by_idx on public.music_video_metric_imports (triggered_by);
create unique index music_video_metric_imports_dedupe_key_idx
on public.music_video_metric_imports (dedupe_key) where dedupe_key is not null;
-- At most one live sync per video and source: a second request reuses the first.
create unique index music_video_metric_imports_one_live_sync_idx
on public.music_video_metric_imports (music_video_id, source)
where status in ('pending', 'processing') and source in ('youtube', 'charts');
-- What workers claim: due pending jobs, and processing jobs whose lease ran out.
create index music_video_metric_imports_due_idx
on public.music_video_metric_imports (source, run_after) where status = 'pending';
create index music_video_metric_imports_lease_idx
on public.music_video_metric_imports (locked_until) where status = 'processing';

-- Aggregated metrics per platform and collection time. Chart positions are stored against
-- platform 'other' with the chart id in source and the chart week's start in collected_at.
create table public.music_video_metrics (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  platform public.platform_enum not null,
  views_total bigint,
  likes_total bigint,
  shares_total bigint,
  -- YouTube's commentCount and favoriteCount (spec 3.1 maps all four counts).
  comments_total bigint,
  favorites_total bigint,
  chart_position integer,
  source text,
  collected_at timestamptz not null,
  synced_at timestamptz not null default now(),
  external_reference text,
  import_batch_id uuid references public.music_video_metric_imports (id) on delete set null,
  -- Per-source detail: the per-programme breakdown of a broadcast day, a chart match key.
  detail jsonb not null default '{}'::jsonb,
  -- Soft delete for an import batch's rollback (spec 3.3); every read path excludes these.
  deleted_at timestamptz,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_metrics_counts_non_negative check (
    views_total >= 0 and likes_total >= 0 and shares_total >= 0
    and comments_total >= 0 and favorites_total >= 0
  ),
  constraint music_video_metrics_chart_position_positive check (chart_position >= 1),
  constraint music_video_metrics_detail_object check (jsonb_typeof(detail) = 'object')
);
-- Prevents duplicates (spec 2.4); also serves the history, newest first, per platform.
create unique index music_video_metrics_video_platform_collected_key
on public.music_video_metrics (music_video_id, platform, collected_at);
create index music_video_metrics_import_batch_id_idx on public.music_video_metrics (import_batch_id);

do $$
declare
  t text;
begin
  foreach t in array array['music_video_metric_imports', 'music_video_metrics'] loop
    execute format('create trigger set_updated_at before update on public.%I '
                   'for each row execute function private.set_updated_at()', t);
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from anon', t);
    execute format('grant select, insert, update, delete on table public.%I to authenticated', t);
    execute format('grant all on table public.%I to service_role', t);
    execute format('create policy "Release owners and admins read" on public.%I '
                   'for select to authenticated '
                   'using ((select private.is_admin()) '
                   'or music_video_id in (select private.accessible_video_ids()))', t);
    execute format('create policy "Admins add rows" on public.%I '
                   'for insert to authenticated with check ((select private.is_admin()))', t);
    execute format('create policy "Admins change rows" on public.%I '
                   'for update to authenticated using ((select private.is_admin())) '
                   'with check ((select private.is_admin()))', t);
    execute format('create policy "Admins remove rows" on public.%I '
                   'for delete to authenticated using ((select private.is_admin()))', t);
  end loop;
end
$$;
