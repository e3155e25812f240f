-- Partner webhooks (issue 12, section 4; spec 2.2 sync_strategy = 'webhook'). Our HTTP service
-- (workers/service/) receives signed partner pushes at POST /functions/v1/metrics-webhook/{source},
-- keeps each verified push raw in Storage and enqueues one import job of the new source
-- 'webhook' on the existing queue; the worker (workers/sources/webhook/) parses the stored push
-- into the same samples and upsert as every other source. A YouTube notification enqueues a
-- YouTube sync instead (private.enqueue_music_video_syncs), so it adds no job of its own source.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The source list grows by 'webhook' (as 20261130210500 did for 'storage_cleanup'): replaced
-- by a wider constraint in the same transaction, NOT VALID (no scan under the ACCESS EXCLUSIVE
-- lock); 20261201020100 validates it in a transaction of its own. Every earlier source stays.
alter table public.music_video_metric_imports
-- squawk-ignore ban-drop-constraint
drop constraint music_video_metric_imports_source_known;
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_source_known
check (
  source in ('youtube', 'charts', 'broadcast', 'export', 'moodboard_check', 'storage_cleanup', 'webhook')
) not valid;

-- One row per verified push, keyed by the partner and the Standard Webhooks `webhook-id`: the
-- unique key makes a replay visible to every service process and machine (the second insert
-- of the same id waits for the first transaction and then conflicts), and the row says which
-- jobs the push enqueued, so a replay is answered with the same job ids. A refused push is
-- rolled back with its row, so nothing of it is kept. Written by the service only (service
-- role or the database owner); API roles never see it.
create table private.metrics_webhook_deliveries (
  source text not null,
  webhook_id text not null,
  received_at timestamptz not null default now(),
  -- music-video-raw-payloads/<path> of the raw body
  raw_payload_path text,
  import_ids uuid[] not null default '{}',
  primary key (source, webhook_id),
  constraint metrics_webhook_deliveries_id_length check (char_length(webhook_id) between 1 and 256)
);

alter table private.metrics_webhook_deliveries enable row level security;
revoke all on table private.metrics_webhook_deliveries from public, anon, authenticated;
grant select, insert, update, delete on table private.metrics_webhook_deliveries to service_role;

-- Admins may see which pushes arrived and what they enqueued (a partner's "did you get it?");
-- only the service writes.
grant select on table private.metrics_webhook_deliveries to authenticated;
create policy "Admins read webhook deliveries" on private.metrics_webhook_deliveries
for select to authenticated using ((select private.is_admin()));
