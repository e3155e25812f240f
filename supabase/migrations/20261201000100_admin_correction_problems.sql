-- One error shape (issue 12, section 1): the admin corrections (override a metric, roll back or
-- re-import an import) answered 22023 and PT409 with a flat detail ({"field": "message"} or
-- {"status": ...}). Same checks, SQLSTATEs and messages; detail is now
-- {"problems": [{field, code, message}]} (a PT409 "not finished" problem carries the status).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The checked override (20261130160000): problem codes required (values, reason), negative
-- (per count), out_of_range (chart_position).
create or replace function private.override_music_video_metric(
  p_metric_id uuid, p_views_total bigint, p_likes_total bigint, p_shares_total bigint,
  p_comments_total bigint, p_favorites_total bigint, p_chart_position integer, p_reason text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row public.music_video_metrics;
  v_new jsonb;
  v_previous jsonb;
  v_problems jsonb := '[]'::jsonb;
  v_changed_by uuid;
begin
  if not ((select auth.role()) = 'service_role' or (select private.is_admin())) then
    raise exception using
      errcode = 'PT403', message = 'Only admins can override metrics',
      hint = 'Ask an admin to correct this metric.';
  end if;
  select m.* into v_row
  from public.music_video_metrics as m
  where m.id = p_metric_id and m.deleted_at is null
  for update;
  if v_row.id is null then
    raise exception using errcode = 'PT404', message = 'Metric not found';
  end if;

  v_new := jsonb_strip_nulls(jsonb_build_object(
    'views_total', p_views_total, 'likes_total', p_likes_total, 'shares_total', p_shares_total,
    'comments_total', p_comments_total, 'favorites_total', p_favorites_total,
    'chart_position', p_chart_position
  ));
  if v_new = '{}'::jsonb then
    v_problems := v_problems || private.plan_problem('values', 'required',
      'Give at least one value to change (views_total, likes_total, shares_total, comments_total,'
      || ' favorites_total or chart_position).');
  end if;
  select v_problems || coalesce(jsonb_agg(private.plan_problem(e.key, 'negative',
    format('%s cannot be negative.', e.key)) order by e.key), '[]'::jsonb)
  into v_problems
  from jsonb_each(v_new) as e
  where e.key <> 'chart_position' and (e.value)::bigint < 0;
  if p_chart_position is not null and p_chart_position < 1 then
    v_problems := v_problems || private.plan_problem('chart_position', 'out_of_range',
      'The chart position must be 1 or more.');
  end if;
  if p_reason is null or btrim(p_reason) = '' then
    v_problems := v_problems || private.plan_problem('reason', 'required', 'Say why the metric is changed.');
  end if;
  if jsonb_array_length(v_problems) > 0 then
    raise exception using errcode = '22023', message = 'Invalid metric override',
      detail = jsonb_build_object('problems', v_problems)::text;
  end if;

  select jsonb_object_agg(k, to_jsonb(v_row) -> k) into v_previous from jsonb_object_keys(v_new) as k;

  -- This update is the admin's own correction: the guard below lets it through.
  perform set_config('mv.metric_correction', 'on', true);
  update public.music_video_metrics as m
  set views_total = coalesce(p_views_total, m.views_total),
    likes_total = coalesce(p_likes_total, m.likes_total),
    shares_total = coalesce(p_shares_total, m.shares_total),
    comments_total = coalesce(p_comments_total, m.comments_total),
    favorites_total = coalesce(p_favorites_total, m.favorites_total),
    chart_position = coalesce(p_chart_position, m.chart_position),
    detail = m.detail || jsonb_build_object('manual_override', jsonb_build_object(
      'at', now(), 'by', (select auth.uid()), 'reason', p_reason, 'fields', v_new
    ))
  where m.id = p_metric_id
  returning m.* into v_row;
  perform set_config('mv.metric_correction', '', true);

  select u.id into v_changed_by from auth.users as u where u.id = (select auth.uid());
  insert into public.music_video_metric_overrides (metric_id, music_video_id, changed_by, previous, new, reason)
  values (p_metric_id, v_row.music_video_id, v_changed_by, v_previous, v_new, btrim(p_reason));

  return to_jsonb(v_row);
end
$$;
revoke all on function private.override_music_video_metric(uuid, bigint, bigint, bigint, bigint, bigint, integer, text)
from public;
grant execute on function private.override_music_video_metric(uuid, bigint, bigint, bigint, bigint, bigint, integer, text)
to authenticated, service_role;

-- The checked rollback (20261130200100): problem codes required (reason), not_finished (import_id).
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
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'reason', 'required', 'Say why the import is rolled back.')))::text;
  end if;
  select i.* into v_import from public.music_video_metric_imports as i where i.id = p_import_id for update;
  if v_import.id is null then
    raise exception using errcode = 'PT404', message = 'Import not found';
  end if;
  if v_import.status in ('pending', 'processing') then
    raise exception using
      errcode = 'PT409', message = 'The import has not finished',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'import_id', 'not_finished', format('The import is %s; wait until it has finished.', v_import.status),
        jsonb_build_object('status', v_import.status))))::text,
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

-- The checked re-import (20261130160000): problem codes required (reason), not_finished (import_id).
create or replace function private.reimport_music_video_import(p_import_id uuid, p_reason text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_import public.music_video_metric_imports;
  v_id uuid;
  v_by uuid;
begin
  if not ((select auth.role()) = 'service_role' or (select private.is_admin())) then
    raise exception using
      errcode = 'PT403', message = 'Only admins can re-import over corrections',
      hint = 'Ask an admin to re-import this file.';
  end if;
  if p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = '22023', message = 'Invalid re-import',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'reason', 'required', 'Say why the import is run again.')))::text;
  end if;
  select i.* into v_import from public.music_video_metric_imports as i where i.id = p_import_id for update;
  if v_import.id is null or v_import.source <> 'broadcast' then
    raise exception using errcode = 'PT404', message = 'Import not found';
  end if;
  if v_import.status in ('pending', 'processing') then
    raise exception using
      errcode = 'PT409', message = 'The import has not finished',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'import_id', 'not_finished', format('The import is %s; wait until it has finished.', v_import.status),
        jsonb_build_object('status', v_import.status))))::text,
      hint = 'Wait for the import to finish, then run it again.';
  end if;
  select u.id into v_by from auth.users as u where u.id = (select auth.uid());
  insert into public.music_video_metric_imports (music_video_id, platform, source, triggered_by, metadata)
  values (
    v_import.music_video_id, v_import.platform, 'broadcast', v_by,
    jsonb_build_object(
      'trigger', 'admin_reimport',
      'bucket', v_import.metadata -> 'bucket',
      'path', v_import.metadata -> 'path',
      'mapping', v_import.metadata -> 'mapping',
      'correction', jsonb_build_object('by', v_by, 'reason', btrim(p_reason), 'replaces', p_import_id, 'at', now())
    )
  )
  returning id into v_id;
  update public.music_video_metric_imports as i
  set metadata = i.metadata || jsonb_build_object('reimports', coalesce(i.metadata -> 'reimports', '[]'::jsonb)
    || jsonb_build_array(jsonb_build_object('at', now(), 'by', v_by, 'reason', btrim(p_reason), 'import_id', v_id)))
  where i.id = p_import_id;
  return v_id;
end
$$;
revoke all on function private.reimport_music_video_import(uuid, text) from public;
grant execute on function private.reimport_music_video_import(uuid, text) to authenticated, service_role;
