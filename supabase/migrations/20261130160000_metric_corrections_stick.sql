-- Corrections stick (ground rule; issue "Analytics a release manager can trust", section 2):
-- a value an admin overrode and a row a rollback soft-deleted are never changed by a machine,
-- whatever writes them (a replay, a re-sync of the same collected_at, a re-import, any upsert).
-- Only a new admin action changes them: another override, or a re-import the admin requests
-- explicitly (reimport_music_video_import), and the audit trail says so. The rule lives in one
-- trigger on the table, so no write path can forget it.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The guard. It runs only for protected rows (the trigger's WHEN clause), so ordinary upserts pay
-- nothing. An admin action marks itself with the transaction-local setting mv.metric_correction;
-- an admin-requested re-import marks its import row (metadata.correction), which only
-- reimport_music_video_import writes. Anything else: a soft-deleted row is left as it is (the
-- update is skipped, so the upsert does not count it), and an overridden field keeps the admin's
-- value while the other fields take the new sample.
create or replace function private.keep_metric_corrections()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_fields jsonb;
begin
  if current_setting('mv.metric_correction', true) = 'on'
     or (new.import_batch_id is not null and exists (
       select 1 from public.music_video_metric_imports as i
       where i.id = new.import_batch_id and i.metadata ? 'correction'
     )) then
    return new;
  end if;
  if old.deleted_at is not null then
    return null;
  end if;
  v_fields := old.detail #> '{manual_override,fields}';
  if v_fields is not null then
    if v_fields ? 'views_total' then new.views_total := old.views_total; end if;
    if v_fields ? 'likes_total' then new.likes_total := old.likes_total; end if;
    if v_fields ? 'shares_total' then new.shares_total := old.shares_total; end if;
    if v_fields ? 'comments_total' then new.comments_total := old.comments_total; end if;
    if v_fields ? 'favorites_total' then new.favorites_total := old.favorites_total; end if;
    if v_fields ? 'chart_position' then new.chart_position := old.chart_position; end if;
    new.detail := coalesce(new.detail, '{}'::jsonb) || jsonb_build_object('manual_override', old.detail -> 'manual_override');
  end if;
  return new;
end
$$;
revoke all on function private.keep_metric_corrections() from public;

create trigger music_video_metrics_keep_corrections
before update on public.music_video_metrics
for each row
when (old.deleted_at is not null or old.detail ? 'manual_override')
execute function private.keep_metric_corrections();

-- The override, as before, now marking its own update as the admin's correction.
create or replace function private.override_music_video_metric(
  p_metric_id uuid,
  p_views_total bigint,
  p_likes_total bigint,
  p_shares_total bigint,
  p_comments_total bigint,
  p_favorites_total bigint,
  p_chart_position integer,
  p_reason text
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
  v_problems jsonb := '{}'::jsonb;
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
    v_problems := v_problems || jsonb_build_object('values', 'give at least one value to change');
  end if;
  if exists (select 1 from jsonb_each(v_new) as e where e.key <> 'chart_position' and (e.value)::bigint < 0) then
    v_problems := v_problems || jsonb_build_object('values', 'counts cannot be negative');
  end if;
  if p_chart_position is not null and p_chart_position < 1 then
    v_problems := v_problems || jsonb_build_object('chart_position', 'must be 1 or more');
  end if;
  if p_reason is null or btrim(p_reason) = '' then
    v_problems := v_problems || jsonb_build_object('reason', 'say why the metric is changed');
  end if;
  if v_problems <> '{}'::jsonb then
    raise exception using errcode = '22023', message = 'Invalid metric override', detail = v_problems::text;
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

-- An admin's explicit re-import of a finished broadcast import (e.g. after rolling it back, with
-- the partner's corrected file uploaded at the same path): a new job for the same file, mapping,
-- video and platform, marked metadata.correction so its rows replace rolled-back or overridden
-- ones. The original import's metadata records the request.
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
      detail = jsonb_build_object('problems', jsonb_build_array(jsonb_build_object(
        'field', 'reason', 'code', 'required', 'message', 'say why the import is run again'
      )))::text;
  end if;
  select i.* into v_import from public.music_video_metric_imports as i where i.id = p_import_id for update;
  if v_import.id is null or v_import.source <> 'broadcast' then
    raise exception using errcode = 'PT404', message = 'Import not found';
  end if;
  if v_import.status in ('pending', 'processing') then
    raise exception using
      errcode = 'PT409', message = 'The import has not finished',
      detail = jsonb_build_object('status', v_import.status)::text;
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

-- POST /metrics/imports/:id/reimport (admin): the exposed RPC, security invoker over the checked write.
create or replace function public.reimport_music_video_import(import_id text, reason text default null)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.reimport_music_video_import(private.try_uuid(import_id), reason)
$$;
revoke all on function public.reimport_music_video_import(text, text) from public, anon;
grant execute on function public.reimport_music_video_import(text, text) to authenticated, service_role;
