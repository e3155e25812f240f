-- Delete a draft (issue "The planning workspace, complete", section 5; spec 1.2 "contextual
-- menu for delete/archive"). Only a draft may be deleted by its owner: a plan past draft has a
-- history and metrics and is archived through the existing status move instead (PT409 here).
-- Deleting removes everything under the video (every child table cascades) and its moodboard
-- files: the files are not deleted from storage.objects here (Supabase documents against
-- deleting those rows directly: the bytes live in Storage's own backend, which only the Storage
-- API removes); instead the delete enqueues one job of the new source 'storage_cleanup' on the
-- existing queue, in the same transaction, naming every object of the video's folder
-- (<release_id>/<video_id>/ of music-video-moodboards) and every moodboard row's path; the
-- worker deletes each through the Storage API (workers/sources/storage_cleanup/job.py). A rolled-back
-- delete enqueues nothing. The same holds for a DELETE through the table endpoint and for the
-- cascade of a release's deletion.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The source list grows by 'storage_cleanup' (as 20261130180000 did for 'export'): replaced by
-- a wider constraint in the same transaction, NOT VALID (no scan under the ACCESS EXCLUSIVE
-- lock); 20261130210510 validates it in a transaction of its own.
alter table public.music_video_metric_imports
-- squawk-ignore ban-drop-constraint
drop constraint music_video_metric_imports_source_known;
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_source_known
check (source in ('youtube', 'charts', 'broadcast', 'export', 'moodboard_check', 'storage_cleanup')) not valid;

-- A cleanup job belongs to no video (the video is gone: a reference would cascade the job away
-- with it); it names the moodboards bucket and a non-empty array of object paths. Top-level
-- bucket/path keys stay reserved for the files an import reads (20261130150400).
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_storage_cleanup_shape
check (
  source <> 'storage_cleanup'
  or (
    music_video_id is null
    and metadata ->> 'storage_bucket' = 'music-video-moodboards'
    and jsonb_typeof(metadata -> 'object_paths') = 'array'
    and jsonb_array_length(metadata -> 'object_paths') > 0
  )
) not valid;

-- Housekeeping is not the user's import: a cleanup job carries no triggered_by (who deleted the
-- video is in metadata.requested_by), so it never counts toward the per-user limit of live
-- imports (20261130150500), and deleting many drafts never fails for it. Otherwise unchanged.
create or replace function private.force_import_triggered_by()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid;
begin
  if tg_op = 'INSERT' then
    v_uid := (select auth.uid());
    -- No JWT user (the scheduler's bulk enqueue): no profile lookup per row.
    new.triggered_by := case when v_uid is not null and new.source <> 'storage_cleanup' then
      (select p.id from public.profiles as p where p.id = v_uid) end;
  elsif current_setting('role') in ('authenticated', 'anon') then
    new.triggered_by := old.triggered_by;
  end if;
  return new;
end
$$;

-- The before-delete trigger of music_videos. For the API roles (the request's role) only a
-- draft may be deleted (PT409), unless its release is already gone (the cascade of the host
-- app deleting a release removes every video, whatever its status). For every delete, the video's moodboard files are queued for deletion.
-- security definer to read storage.objects past its RLS and to insert the job (API roles may
-- not write the queue).
create or replace function private.before_music_video_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_paths jsonb;
  v_job uuid;
begin
  if current_setting('role') in ('authenticated', 'anon') and old.status <> 'draft'
     and exists (select 1 from public.releases as r where r.id = old.release_id) then
    raise exception using
      errcode = 'PT409',
      message = format('Only a draft can be deleted; this video is %s. Archive it instead (it keeps its metrics).',
        old.status),
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'status', 'not_a_draft', 'Only drafts can be deleted; archive a plan past draft.',
        jsonb_build_object('status', old.status))))::text,
      hint = 'Move the video to archived instead.';
  end if;
  select jsonb_agg(x.name order by x.name)
  into v_paths
  from (
    select o.name
    from storage.objects as o
    where o.bucket_id = 'music-video-moodboards'
      and o.name like old.release_id::text || '/' || old.id::text || '/%'
    union
    select mb.storage_path
    from public.music_video_moodboards as mb
    where mb.music_video_id = old.id
  ) as x;
  if v_paths is not null then
    insert into public.music_video_metric_imports (music_video_id, platform, source, max_attempts, metadata)
    values (null, null, 'storage_cleanup', 10, jsonb_build_object(
      'storage_bucket', 'music-video-moodboards', 'object_paths', v_paths,
      'release_id', old.release_id, 'music_video_id', old.id, 'requested_by', (select auth.uid())))
    returning id into v_job;
  end if;
  -- The RPC reports the job; owners cannot read cleanup rows under the queue's RLS.
  perform set_config('mv.storage_cleanup_job', coalesce(v_job::text, ''), true);
  return old;
end
$$;
revoke all on function private.before_music_video_delete() from public;

create trigger before_delete before delete on public.music_videos
for each row execute function private.before_music_video_delete();

-- DELETE /music-videos/:id for a draft. PT404 for an id that is malformed, missing or not
-- yours; PT409 for a video past draft. Returns {id, release_id, deleted: true,
-- storage_cleanup_job_id} (the job id, or null when the video had no files). Deletes through
-- the table under RLS (security invoker); the trigger above does the rest.
create or replace function public.delete_music_video(id text default null)
returns jsonb
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
  return jsonb_build_object('id', v_id, 'release_id', v_release, 'deleted', v_release is not null,
    'storage_cleanup_job_id', v_job);
end
$$;
revoke all on function public.delete_music_video(text) from public, anon;
grant execute on function public.delete_music_video(text) to authenticated, service_role;
