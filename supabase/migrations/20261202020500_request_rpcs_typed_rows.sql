-- The job-request, admin and alert RPCs return typed rows (issue 12, sections 1-2; the audit of
-- the contract leftovers: every public function returning json/jsonb whose answer has a fixed
-- shape). Each answered a jsonb object of known keys, which the generated TypeScript types call
-- Json; each now returns one row of a composite type with those keys (or the table's row type for
-- the metric override and the alert), so PostgREST's body is the same object, typed:
--   request_music_video_metrics_sync      public.music_video_sync_request (imports: music_video_sync_job[])
--   request_music_video_export,
--   request_music_video_shotlist_export   public.music_video_export_request
--   request_music_video_chart_backfill    public.music_video_chart_backfill_request
--   rollback_music_video_import           public.music_video_import_rollback
--   override_music_video_metric           public.music_video_metrics
--   mark_music_video_alert_read           public.music_video_alerts
--   delete_music_video                    public.music_video_deletion
-- Parameters, access rules, errors and the private functions that do the work are unchanged; the
-- public functions convert the private answer (jsonb_populate_record, as get_music_video does).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One job of a "Sync Metrics" request.
create type public.music_video_sync_job as (
  id uuid,
  -- youtube, charts, ... (music_video_metric_imports.source)
  source text,
  status public.import_status_enum,
  -- false when a job of that source was already waiting or running
  created boolean
);
-- The answer of request_music_video_metrics_sync.
create type public.music_video_sync_request as (
  music_video_id uuid,
  import_ids uuid [],
  imports public.music_video_sync_job []
);
-- The answer of the export requests (analytics: kind and music_video_id null).
create type public.music_video_export_request as (
  id uuid,
  release_id uuid,
  format public.export_format_enum,
  status public.import_status_enum,
  created boolean,
  kind text,
  music_video_id uuid
);
-- The answer of request_music_video_chart_backfill.
create type public.music_video_chart_backfill_request as (
  import_id uuid,
  music_video_id uuid,
  status public.import_status_enum,
  created boolean,
  backfill_weeks integer
);
-- The answer of rollback_music_video_import.
create type public.music_video_import_rollback as (
  import_id uuid,
  status public.import_status_enum,
  previous_status public.import_status_enum,
  rows_deleted integer,
  chart_positions_deleted integer
);
-- The answer of delete_music_video.
create type public.music_video_deletion as (
  id uuid,
  release_id uuid,
  deleted boolean,
  -- set when moodboard files are left for the storage_cleanup job to remove
  storage_cleanup_job_id uuid
);
grant usage on type public.music_video_sync_job to authenticated, service_role;
grant usage on type public.music_video_sync_request to authenticated, service_role;
grant usage on type public.music_video_export_request to authenticated, service_role;
grant usage on type public.music_video_chart_backfill_request to authenticated, service_role;
grant usage on type public.music_video_import_rollback to authenticated, service_role;
grant usage on type public.music_video_deletion to authenticated, service_role;

-- The return types change (jsonb -> rows): drop, then create (no overload is left behind).
-- squawk-ignore ban-drop-function
drop function public.request_music_video_metrics_sync(text);
-- squawk-ignore ban-drop-function
drop function public.request_music_video_export(text, public.export_format_enum);
-- squawk-ignore ban-drop-function
drop function public.request_music_video_shotlist_export(text, public.export_format_enum);
-- squawk-ignore ban-drop-function
drop function public.request_music_video_chart_backfill(text, integer);
-- squawk-ignore ban-drop-function
drop function public.rollback_music_video_import(text, text);
-- squawk-ignore ban-drop-function
drop function public.override_music_video_metric(text, text, bigint, bigint, bigint, bigint, bigint, integer);
-- squawk-ignore ban-drop-function
drop function public.mark_music_video_alert_read(text, boolean);
-- squawk-ignore ban-drop-function
drop function public.delete_music_video(text);

-- request_music_video_metrics_sync: the private answer as a public.music_video_sync_request row.
create function public.request_music_video_metrics_sync(
  id text
)
returns public.music_video_sync_request
language sql
volatile
security invoker
set search_path = ''
as $$
  select r.* from jsonb_populate_record(null::public.music_video_sync_request,
    private.request_music_video_metrics_sync(private.try_uuid(btrim(request_music_video_metrics_sync.id)))) as r
$$;
revoke all on function public.request_music_video_metrics_sync(text) from public, anon;
grant execute on function public.request_music_video_metrics_sync(text) to authenticated, service_role;
comment on function public.request_music_video_metrics_sync(text) is $md$"Sync Metrics": enqueue the video's import jobs (YouTube, charts) through the one sync rule and return them to poll.

Endpoint: POST /music-videos/:id/metrics/sync (spec 2.3, 3.4; ARCHITECTURE.md's endpoint table).

Returns: one `music_video_sync_request` row: `music_video_id`, `import_ids` (uuid[]), `imports` (`music_video_sync_job`s `{id, source, status, created}`, by source); `created` is false when a job for that source was already waiting or running (poll `music_video_metric_imports` by id until it has finished).

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's.
- `PT422`: nothing to sync: `platform_targets` `nothing_to_sync` (no YouTube target with its video id) and `kpi_chart_target` `nothing_to_sync` (no chart target, ISRC, Spotify or Apple Music id). TV figures come from CSV imports instead.
- `PT409`: `music_video_id` `busy` (a sync job of the video changed while it was queued; try again), or the caller's live imports are at the limit (`triggered_by` `too_many_live_imports`, as `import_broadcast_metrics`).$md$;

-- request_music_video_export: the private answer as a public.music_video_export_request row.
create function public.request_music_video_export(
  release_id text,
  format public.export_format_enum
)
returns public.music_video_export_request
language sql
volatile
security invoker
set search_path = ''
as $$
  select r.* from jsonb_populate_record(null::public.music_video_export_request, private.request_music_video_export(
    private.try_uuid(btrim(request_music_video_export.release_id)), request_music_video_export.format::text
  )) as r
$$;
revoke all on function public.request_music_video_export(text, public.export_format_enum) from public, anon;
grant execute on function public.request_music_video_export(text, public.export_format_enum) to authenticated, service_role;
comment on function public.request_music_video_export(text, public.export_format_enum) is $md$Enqueue the analytics report of a release (CSV or PDF) as an export job.

Endpoint: analytics reports export (spec 5.1 criterion 8).

Returns: one `music_video_export_request` row: `id` (the job), `release_id`, `format` (`csv` | `pdf`), `status`, `created` (boolean), `kind` and `music_video_id` null (they name a shot-list export); an equal export still waiting or running is returned instead of a second one (`created` false). When the job has succeeded, sign `metadata.output.object_path` in the private `music-video-exports` bucket.

Errors:
- `22023`: `format` sent as null (`detail.problems` `format` `required`).
- `PT404`: the release id is malformed, does not exist or is not the caller's.
- `PT409`: the export could not be queued (`detail.problems` `format` `busy`: the same export changed meanwhile; try again), or the caller's live imports are at the limit (`triggered_by` `too_many_live_imports`).
- `22P02` (PostgREST, before the function runs): `format` is neither `csv` nor `pdf`.$md$;

-- request_music_video_shotlist_export: the private answer as a public.music_video_export_request row.
create function public.request_music_video_shotlist_export(
  music_video_id text,
  format public.export_format_enum
)
returns public.music_video_export_request
language sql
volatile
security invoker
set search_path = ''
as $$
  select r.* from jsonb_populate_record(null::public.music_video_export_request, private.enqueue_music_video_export(
    'shotlist', request_music_video_shotlist_export.format::text, null,
    private.try_uuid(btrim(request_music_video_shotlist_export.music_video_id))
  )) as r
$$;
revoke all on function public.request_music_video_shotlist_export(text, public.export_format_enum) from public, anon;
grant execute on function public.request_music_video_shotlist_export(text, public.export_format_enum) to authenticated, service_role;
comment on function public.request_music_video_shotlist_export(text, public.export_format_enum) is $md$"Export Shotlist": enqueue the video's shot list as a CSV or PDF export job.

Endpoint: Export Shotlist (spec 1.2 action bar, 4.1 ShotlistExportButton).

Returns: one `music_video_export_request` row: `id` (the job), `release_id`, `format`, `status`, `created` (boolean), `kind` `shotlist`, `music_video_id`; an equal export still waiting or running is returned instead (`created` false). Poll the job, then sign `metadata.output.object_path` in the `music-video-exports` bucket.

Errors:
- `22023`: `format` sent as null (`detail.problems` `format` `required`).
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the export could not be queued (`detail.problems` `format` `busy`; try again), or the caller's live imports are at the limit (`triggered_by` `too_many_live_imports`).
- `22P02` (PostgREST, before the function runs): `format` is neither `csv` nor `pdf`.$md$;

-- request_music_video_chart_backfill: the private answer as a public.music_video_chart_backfill_request row.
create function public.request_music_video_chart_backfill(
  music_video_id text,
  weeks integer default null
)
returns public.music_video_chart_backfill_request
language sql
volatile
security invoker
set search_path = ''
as $$
  select r.* from jsonb_populate_record(null::public.music_video_chart_backfill_request,
    private.request_music_video_chart_backfill(private.try_uuid(request_music_video_chart_backfill.music_video_id),
      request_music_video_chart_backfill.weeks)) as r
$$;
revoke all on function public.request_music_video_chart_backfill(text, integer) from public, anon;
grant execute on function public.request_music_video_chart_backfill(text, integer) to authenticated, service_role;
comment on function public.request_music_video_chart_backfill(text, integer) is $md$Enqueue a charts job that fetches the video's past weeks of chart positions.

Endpoint: charts backfill (spec 3.2).

Returns: one `music_video_chart_backfill_request` row: `import_id`, `music_video_id`, `status`, `created` (boolean), `backfill_weeks`; a waiting charts job is widened to the longer backfill instead of a second job (`created` false). `weeks` defaults to the `chart_backfill_weeks` setting.

Errors:
- `PT404`: the id is malformed, does not exist or is not the caller's (admins excepted).
- `22023`: `detail.problems` `weeks` `out_of_range` (not 1..520).
- `PT409`: `detail.problems` `music_video_id` `import_running` (a charts job of the video is being processed; ask again when it has finished) or `busy` (the job changed while it was queued; try again); `triggered_by` `too_many_live_imports` (the caller's imports waiting or running are at the limit, 50 by default; with `limit` and `live`).$md$;

-- rollback_music_video_import: the private answer as a public.music_video_import_rollback row.
create function public.rollback_music_video_import(
  import_id text,
  reason text
)
returns public.music_video_import_rollback
language sql
volatile
security invoker
set search_path = ''
as $$
  select r.* from jsonb_populate_record(null::public.music_video_import_rollback,
    private.rollback_music_video_import(private.try_uuid(rollback_music_video_import.import_id),
      rollback_music_video_import.reason)) as r
$$;
revoke all on function public.rollback_music_video_import(text, text) from public, anon;
grant execute on function public.rollback_music_video_import(text, text) to authenticated, service_role;
comment on function public.rollback_music_video_import(text, text) is $md$Admin: roll back a finished import: its metric rows and chart positions are soft-deleted and it is marked failed.

Endpoint: rollback (spec 3.3 "Support rollback by marking import batch status failed and soft-deleting metrics rows").

Returns: one `music_video_import_rollback` row: `import_id`, `status` (`failed`), `previous_status`, `rows_deleted`, `chart_positions_deleted`.

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `22023`: empty `reason` (`detail.problems` `reason` `required`).
- `PT404`: the import id is malformed or does not exist.
- `PT409`: the import has not finished (`detail.problems` `import_id` `not_finished`, with its `status`: pending or processing).$md$;

-- override_music_video_metric: the private answer as a public.music_video_metrics row.
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
returns public.music_video_metrics
language sql
volatile
security invoker
set search_path = ''
as $$
  select m.* from jsonb_populate_record(null::public.music_video_metrics, private.override_music_video_metric(
    private.try_uuid(override_music_video_metric.metric_id), override_music_video_metric.views_total,
    override_music_video_metric.likes_total, override_music_video_metric.shares_total,
    override_music_video_metric.comments_total, override_music_video_metric.favorites_total,
    override_music_video_metric.chart_position, override_music_video_metric.reason
  )) as m
$$;
revoke all on function public.override_music_video_metric(text, text, bigint, bigint, bigint, bigint, bigint, integer) from public, anon;
grant execute on function public.override_music_video_metric(text, text, bigint, bigint, bigint, bigint, bigint, integer) to authenticated, service_role;
comment on function public.override_music_video_metric(text, text, bigint, bigint, bigint, bigint, bigint, integer) is $md$Admin: correct one metric sample by hand, with a reason; the correction sticks against later machine writes.

Endpoint: manual overrides (spec 3.3 "Admin UI to edit metrics entries").

Returns: the corrected `music_video_metrics` row (the table's columns; `detail.manual_override {at, by, reason, fields}`); the previous values go to `music_video_metric_overrides`. Values left out (null) keep theirs.

Errors:
- `PT403`: the caller is not an admin (or the service role).
- `PT404`: the metric id is malformed, does not exist or was rolled back.
- `22023`: every problem at once in `detail.problems`: `values` `required` (no value given), `<count>` `negative` (views_total, likes_total, shares_total, comments_total, favorites_total), `chart_position` `out_of_range` (below 1), `reason` `required` (empty).$md$;

-- mark_music_video_alert_read: the private answer as a public.music_video_alerts row.
create function public.mark_music_video_alert_read(
  id text,
  read boolean default true
)
returns public.music_video_alerts
language sql
volatile
security invoker
set search_path = ''
as $$
  select a.* from jsonb_populate_record(null::public.music_video_alerts, private.mark_music_video_alert_read(
    private.try_uuid(btrim(mark_music_video_alert_read.id)), mark_music_video_alert_read.read
  )) as a
$$;
revoke all on function public.mark_music_video_alert_read(text, boolean) from public, anon;
grant execute on function public.mark_music_video_alert_read(text, boolean) to authenticated, service_role;
comment on function public.mark_music_video_alert_read(text, boolean) is $md$Mark one alert of the caller's videos read (or unread again).

Endpoint: alerts (table `music_video_alerts`, read under RLS and realtime; this RPC is its one write).

Returns: the `music_video_alerts` row (the table's columns): `read_at` set (kept when already read) for `read` true, the default, null for `read` false.

Errors:
- `PT404`: the alert id is malformed, does not exist or is not on the caller's video.
- `22023`: `read` sent as null (`detail.problems` `read` `required`).$md$;

-- Delete a draft video (20261130210500), answering the deletion row.
create function public.delete_music_video(id text)
returns public.music_video_deletion
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(delete_music_video.id));
  v_release uuid;
  v_job uuid;
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only delete videos of your own releases.';
  end if;
  perform set_config('mv.storage_cleanup_job', '', true);
  delete from public.music_videos as v where v.id = v_id returning v.release_id into v_release;
  v_job := private.try_uuid(current_setting('mv.storage_cleanup_job', true));
  return row(v_id, v_release, v_release is not null, v_job)::public.music_video_deletion;
end
$$;
revoke all on function public.delete_music_video(text) from public, anon;
grant execute on function public.delete_music_video(text) to authenticated, service_role;
comment on function public.delete_music_video(text) is $md$Delete a draft video and everything that hangs off it; its moodboard files are removed by a storage_cleanup job.

Endpoint: the card's delete action (spec 1.2 "contextual menu for delete/archive"); past draft, archive it with `update_music_video` instead.

Returns: one `music_video_deletion` row: `id`, `release_id`, `deleted` (boolean), `storage_cleanup_job_id` (set when moodboard files are left to remove; else null).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is past draft, archived included (`status` `not_a_draft`, with the video's `status`); archive it instead. The rule binds signed-in callers; the service role may delete any video.$md$;
