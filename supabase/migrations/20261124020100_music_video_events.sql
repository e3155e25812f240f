-- Analytics events of the ingestion services, readable by the host app (spec 3.4: the
-- `music_video.metrics_synced` event). The worker writes one row per finished sync, in the
-- same transaction as the metrics, and also logs it as a structured line. Release owners read
-- their videos' events (and receive them over realtime); only the service role writes.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
create table public.music_video_events (
  id uuid primary key default extensions.uuid_generate_v4(),
  -- Dotted event name, e.g. music_video.metrics_synced.
  event text not null,
  music_video_id uuid references public.music_videos (id) on delete cascade,
  -- Event body: sources, counts, duration, import ids.
  payload jsonb not null default '{}'::jsonb,
  -- Makes an emission idempotent (e.g. metrics_synced:<sync id>): two workers finishing the
  -- last jobs of one sync at once still write one event.
  dedupe_key text,
  created_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_events_event_format check (event ~ '^[a-z_]+(\.[a-z_]+)+$'),
  constraint music_video_events_payload_object check (jsonb_typeof(payload) = 'object')
);
-- The owner's read policy filters on the video; the feed is read newest first.
create index music_video_events_video_created_idx
on public.music_video_events (music_video_id, created_at desc);
create unique index music_video_events_dedupe_key_idx
on public.music_video_events (dedupe_key) where dedupe_key is not null;

alter table public.music_video_events enable row level security;
revoke all on table public.music_video_events from anon, authenticated;
grant select on table public.music_video_events to authenticated;
grant select, insert, update, delete on table public.music_video_events to service_role;

create policy "Release owners and admins read events" on public.music_video_events
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));

-- The board can show "synced just now" without polling; realtime applies the read policy.
alter publication supabase_realtime add table public.music_video_events;
