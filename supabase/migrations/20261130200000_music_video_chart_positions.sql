-- Every chart's history kept (issue "Analytics a release manager can trust", section 1).
-- music_video_metrics keeps one row per (video, platform 'other', week): the best rank of any
-- chart (spec 3.2), so a week in which Spotify ranked a video better than the Hot 100 had no
-- Hot 100 position anywhere, and music_video_chart_history(video, 'billboard_hot_100') lost it.
-- This table keeps one row per (video, chart, week) next to it. It is written by the worker
-- runtime in the same transaction as the metric upsert (workers.metrics.upsert_chart_positions,
-- the one write path; the chart job returns the positions alongside its samples), so a chart
-- week whose metric row was kept by another chart's better rank still has its own position.
-- The feed's own peak / previous rank / weeks-on-chart are stored as the feed stated them
-- (the parsers already refuse peak 0 or worse than the rank); the history RPC decides whether
-- to use them.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.music_video_chart_positions (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  chart text not null references public.music_video_chart_sources (id),
  -- the chart week's Monday (UTC), the same week key as music_video_metrics.collected_at
  week_start date not null,
  chart_rank integer not null,
  -- what the feed itself states (null where the feed has no such column, e.g. Apple's RSS)
  feed_peak_rank integer,
  feed_previous_rank integer,
  feed_weeks_on_chart integer,
  matched_by text,
  import_batch_id uuid references public.music_video_metric_imports (id) on delete set null,
  -- Soft delete for an import batch's rollback (spec 3.3), like music_video_metrics.
  deleted_at timestamptz,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_chart_positions_week_is_monday check (extract(isodow from week_start) = 1),
  constraint music_video_chart_positions_rank_positive check (chart_rank >= 1),
  constraint music_video_chart_positions_feed_peak_positive check (feed_peak_rank >= 1),
  constraint music_video_chart_positions_feed_weeks_positive check (feed_weeks_on_chart >= 1)
);
-- One position per video, chart and week; also serves the history read (video, chart, weeks).
create unique index music_video_chart_positions_video_chart_week_key
on public.music_video_chart_positions (music_video_id, chart, week_start);
-- Rollback soft-deletes by import batch.
create index music_video_chart_positions_import_batch_id_idx
on public.music_video_chart_positions (import_batch_id);
-- The foreign key to the chart catalog (deleting a catalog row checks this table).
create index music_video_chart_positions_chart_idx on public.music_video_chart_positions (chart);

create trigger set_updated_at before update on public.music_video_chart_positions
for each row execute function private.set_updated_at();

-- The same access as music_video_metrics: owners (through the one access rule) and admins read,
-- admins write, the service role (the worker) does everything.
alter table public.music_video_chart_positions enable row level security;
revoke all on table public.music_video_chart_positions from anon, public;
grant select, insert, update, delete on table public.music_video_chart_positions to authenticated;
grant all on table public.music_video_chart_positions to service_role;

create policy "Release owners and admins read" on public.music_video_chart_positions
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));
create policy "Admins add rows" on public.music_video_chart_positions
for insert to authenticated with check ((select private.is_admin()));
create policy "Admins change rows" on public.music_video_chart_positions
for update to authenticated using ((select private.is_admin())) with check ((select private.is_admin()));
create policy "Admins remove rows" on public.music_video_chart_positions
for delete to authenticated using ((select private.is_admin()));

-- Corrections stick (20261130160000) for positions: a position a rollback soft-deleted is never
-- restored by a machine write (a re-fetch of the same week); only an admin's correction (the
-- transaction-local mv.metric_correction, or an import marked metadata.correction) does.
create or replace function private.keep_chart_position_rollbacks()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('mv.metric_correction', true) = 'on'
     or (new.import_batch_id is not null and exists (
       select 1 from public.music_video_metric_imports as i
       where i.id = new.import_batch_id and i.metadata ? 'correction'
     )) then
    return new;
  end if;
  return null;
end
$$;
revoke all on function private.keep_chart_position_rollbacks() from public;

create trigger music_video_chart_positions_keep_rollbacks
before update on public.music_video_chart_positions
for each row
when (old.deleted_at is not null and new.deleted_at is null)
execute function private.keep_chart_position_rollbacks();
