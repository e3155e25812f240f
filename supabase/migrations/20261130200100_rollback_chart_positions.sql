-- Rollback of an import (20261124030500) now also soft-deletes the import's per-chart positions
-- (music_video_chart_positions, 20261130200000), so a rolled-back chart import disappears from
-- every chart's history too, not only from the metrics. The result and the audit entry in
-- metadata.rollbacks gain chart_positions_deleted; everything else is unchanged.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

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
  v_positions integer;
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

  -- the import's per-chart positions go with its metric rows
  update public.music_video_chart_positions as p
  set deleted_at = now()
  where p.import_batch_id = p_import_id and p.deleted_at is null;
  get diagnostics v_positions = row_count;

  update public.music_video_metric_imports as i
  set status = 'failed',
    error_message = 'rolled back: ' || btrim(p_reason),
    completed_at = coalesce(i.completed_at, now()),
    metadata = i.metadata || jsonb_build_object('rollbacks', coalesce(i.metadata -> 'rollbacks', '[]'::jsonb)
      || jsonb_build_array(jsonb_build_object(
        'at', now(), 'by', (select auth.uid()), 'reason', btrim(p_reason),
        'previous_status', v_import.status, 'rows_deleted', v_rows,
        'chart_positions_deleted', v_positions
      )))
  where i.id = p_import_id;

  return jsonb_build_object(
    'import_id', p_import_id, 'status', 'failed', 'previous_status', v_import.status, 'rows_deleted', v_rows,
    'chart_positions_deleted', v_positions
  );
end
$$;
revoke all on function private.rollback_music_video_import(uuid, text) from public;
grant execute on function private.rollback_music_video_import(uuid, text) to authenticated, service_role;
