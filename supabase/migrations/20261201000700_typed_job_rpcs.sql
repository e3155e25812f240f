-- Real parameter types on the RPCs that queue or correct jobs (issue 12, section 1):
-- import_broadcast_metrics' platform is the platform_enum; the export format is a new enum
-- (csv, pdf) on both exports; the parameters that were optional only in the signature become
-- required (the id of request_music_video_metrics_sync and mark_music_video_alert_read, the
-- reason of override_music_video_metric and reimport_music_video_import, which answered a
-- missing one with a 22023 anyway). A wrong-typed value is PostgREST's 22P02 from its conversion
-- of the JSON body. Ids stay text: a malformed or foreign id is a 404 (PT404). The bodies are
-- unchanged: the same security definer writes run behind them. Dropped and created (no overload
-- left), granted as before: authenticated and service_role, never anon.
-- request_music_video_chart_backfill(text, integer) and rollback_music_video_import(text, text)
-- already had their real types and required parameters: unchanged.
-- Dropping breaks clients of the old signatures on purpose (a breaking change the issue asks
-- for): hence squawk's ban-drop-function is ignored at each drop.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The formats an export renders (the worker's renderers: workers/reports).
create type public.export_format_enum as enum ('csv', 'pdf');

-- POST /music-videos/:id/metrics/sync: the id is required.
-- squawk-ignore ban-drop-function
drop function if exists public.request_music_video_metrics_sync(text);
create function public.request_music_video_metrics_sync(id text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.request_music_video_metrics_sync(private.try_uuid(btrim(request_music_video_metrics_sync.id)))
$$;
revoke all on function public.request_music_video_metrics_sync(text) from public, anon;
grant execute on function public.request_music_video_metrics_sync(text) to authenticated, service_role;

-- TV/MTV CSV import: platform is an enum value (a broadcast one: mtv or regional_tv; another is
-- the 22023 invalid_choice problem); mapping is {air_date, viewers, program?, layout?, ...}.
-- squawk-ignore ban-drop-function
drop function if exists public.import_broadcast_metrics(text, text, text, jsonb);
create function public.import_broadcast_metrics(
  music_video_id text, platform public.platform_enum, object_path text, mapping jsonb
)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.import_broadcast_metrics(
    private.try_uuid(import_broadcast_metrics.music_video_id), import_broadcast_metrics.platform::text,
    import_broadcast_metrics.object_path, import_broadcast_metrics.mapping
  )
$$;
revoke all on function public.import_broadcast_metrics(text, public.platform_enum, text, jsonb) from public, anon;
grant execute on function public.import_broadcast_metrics(text, public.platform_enum, text, jsonb)
to authenticated, service_role;

-- The analytics export of a release.
-- squawk-ignore ban-drop-function
drop function if exists public.request_music_video_export(text, text);
create function public.request_music_video_export(release_id text, format public.export_format_enum)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.request_music_video_export(
    private.try_uuid(btrim(request_music_video_export.release_id)), request_music_video_export.format::text
  )
$$;
revoke all on function public.request_music_video_export(text, public.export_format_enum) from public, anon;
grant execute on function public.request_music_video_export(text, public.export_format_enum)
to authenticated, service_role;

-- Export Shotlist (CSV/PDF).
-- squawk-ignore ban-drop-function
drop function if exists public.request_music_video_shotlist_export(text, text);
create function public.request_music_video_shotlist_export(music_video_id text, format public.export_format_enum)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.enqueue_music_video_export(
    'shotlist', request_music_video_shotlist_export.format::text, null,
    private.try_uuid(btrim(request_music_video_shotlist_export.music_video_id))
  )
$$;
revoke all on function public.request_music_video_shotlist_export(text, public.export_format_enum) from public, anon;
grant execute on function public.request_music_video_shotlist_export(text, public.export_format_enum)
to authenticated, service_role;

-- Admin correction of one metric row: the reason is required; the values are optional (at
-- least one is: the 22023 problem "values required").
-- squawk-ignore ban-drop-function
drop function if exists public.override_music_video_metric(text, bigint, bigint, bigint, bigint, bigint, integer, text);
create function public.override_music_video_metric(
  metric_id text,
  reason text,
  views_total bigint default null,
  likes_total bigint default null,
  shares_total bigint default null,
  comments_total bigint default null,
  favorites_total bigint default null,
  chart_position integer default null
)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.override_music_video_metric(
    private.try_uuid(override_music_video_metric.metric_id), override_music_video_metric.views_total,
    override_music_video_metric.likes_total, override_music_video_metric.shares_total,
    override_music_video_metric.comments_total, override_music_video_metric.favorites_total,
    override_music_video_metric.chart_position, override_music_video_metric.reason
  )
$$;
revoke all on function public.override_music_video_metric(text, text, bigint, bigint, bigint, bigint, bigint, integer)
from public, anon;
grant execute on function public.override_music_video_metric(text, text, bigint, bigint, bigint, bigint, bigint, integer)
to authenticated, service_role;

-- Admin re-import of a broadcast file: the reason is required.
-- squawk-ignore ban-drop-function
drop function if exists public.reimport_music_video_import(text, text);
create function public.reimport_music_video_import(import_id text, reason text)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.reimport_music_video_import(
    private.try_uuid(reimport_music_video_import.import_id), reimport_music_video_import.reason
  )
$$;
revoke all on function public.reimport_music_video_import(text, text) from public, anon;
grant execute on function public.reimport_music_video_import(text, text) to authenticated, service_role;

-- Mark an alert read (read = true, the default) or unread: the id is required.
-- squawk-ignore ban-drop-function
drop function if exists public.mark_music_video_alert_read(text, boolean);
create function public.mark_music_video_alert_read(id text, read boolean default true)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.mark_music_video_alert_read(
    private.try_uuid(btrim(mark_music_video_alert_read.id)), mark_music_video_alert_read.read
  )
$$;
revoke all on function public.mark_music_video_alert_read(text, boolean) from public, anon;
grant execute on function public.mark_music_video_alert_read(text, boolean) to authenticated, service_role;
