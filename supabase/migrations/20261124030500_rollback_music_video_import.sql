-- Rollback of an import batch (spec 3.3 "Support rollback by marking import batch status failed
-- and soft-deleting metrics rows via deleted_at"): an admin undoes a bad import in one
-- transaction. Every read path already excludes deleted_at rows; re-importing restores them
-- (the one upsert path clears deleted_at).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The checked write: admins (and the service role) only. A job still pending or processing
-- cannot be rolled back (PT409): its rows are not written yet. Rolling back twice is harmless.
create or replace function private.rollback_music_video_import(p_import_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_import public.music_video_metric_imports;
  v_rows integer;
begin
  if not ((select auth.role()) = 'service_role' or (select private.is_admin())) then
    raise exception using
      errcode = 'PT403', message = 'Only admins can roll back imports',
      hint = 'Ask an admin to roll back this import.';
  end if;
  if p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = '22023', message = 'Invalid rollback',
      detail = jsonb_build_object('reason', 'say why the import is rolled back')::text;
  end if;
  select i.* into v_import from public.music_video_metric_imports as i where i.id = p_import_id for update;
  if v_import.id is null then
    raise exception using errcode = 'PT404', message = 'Import not found';
  end if;
  if v_import.status in ('pending', 'processing') then
    raise exception using
      errcode = 'PT409', message = 'The import has not finished',
      detail = jsonb_build_object('status', v_import.status)::text,
      hint = 'Wait for the import to finish, then roll it back.';
  end if;

  update public.music_video_metrics as m
  set deleted_at = now()
  where m.import_batch_id = p_import_id and m.deleted_at is null;
  get diagnostics v_rows = row_count;

  update public.music_video_metric_imports as i
  set status = 'failed',
    error_message = 'rolled back: ' || btrim(p_reason),
    completed_at = coalesce(i.completed_at, now()),
    metadata = i.metadata || jsonb_build_object('rollbacks', coalesce(i.metadata -> 'rollbacks', '[]'::jsonb)
      || jsonb_build_array(jsonb_build_object(
        'at', now(), 'by', (select auth.uid()), 'reason', btrim(p_reason),
        'previous_status', v_import.status, 'rows_deleted', v_rows
      )))
  where i.id = p_import_id;

  return jsonb_build_object(
    'import_id', p_import_id, 'status', 'failed', 'previous_status', v_import.status, 'rows_deleted', v_rows
  );
end
$$;
revoke all on function private.rollback_music_video_import(uuid, text) from public;
grant execute on function private.rollback_music_video_import(uuid, text) to authenticated, service_role;

-- POST /imports/:id/rollback (admin): the exposed RPC, security invoker over the write above.
create or replace function public.rollback_music_video_import(import_id text, reason text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rollback_music_video_import(private.try_uuid(import_id), reason)
$$;
revoke all on function public.rollback_music_video_import(text, text) from public, anon;
grant execute on function public.rollback_music_video_import(text, text) to authenticated, service_role;
