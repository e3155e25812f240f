-- One error shape (issue 12, section 1): the exports' "could not be queued; try again" PT409
-- (a job of the same export finished between the insert and the read-back, five times over)
-- was the one answer of request_music_video_export / request_music_video_shotlist_export
-- without a detail. Same SQLSTATE and message; detail is now {"problems": [...]} (code busy).
-- Everything else is unchanged (20261130220200).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.enqueue_music_video_export(
  p_kind text, p_format text, p_release_id uuid, p_music_video_id uuid
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_format text := lower(btrim(p_format));
  v_release_id uuid := p_release_id;
  v_video text;
  v_id uuid;
  v_status public.import_status_enum;
  v_created boolean;
  v_triggered_by uuid;
  v_meta jsonb;
begin
  if p_kind is null or p_kind not in ('analytics', 'shotlist') then
    raise exception 'enqueue_music_video_export: unknown kind %', p_kind;
  end if;
  if v_format is null or v_format not in ('csv', 'pdf') then
    raise exception using
      errcode = '22023',
      message = 'Choose the export format: csv or pdf',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'format', case when v_format is null or v_format = '' then 'required' else 'invalid' end,
        'The format must be csv or pdf.')))::text;
  end if;
  if p_kind = 'shotlist' then
    if p_music_video_id is null or not private.can_access_video(p_music_video_id) then
      raise exception using errcode = 'PT404', message = 'Music video not found',
        hint = 'Check the id; you can only export the shot lists of your own releases.';
    end if;
    select v.release_id into v_release_id from public.music_videos as v where v.id = p_music_video_id;
    v_video := p_music_video_id::text;
  elsif v_release_id is null or not private.can_access_release(v_release_id) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the id; you can only export your own releases.';
  end if;

  -- triggered_by references profiles; a caller without a profile row (or the service role)
  -- leaves it null rather than failing the request.
  select p.id into v_triggered_by from public.profiles as p where p.id = (select auth.uid());
  v_meta := jsonb_build_object(
    'release_id', v_release_id, 'format', v_format, 'kind', p_kind,
    'requested_by', (select auth.uid()), 'trigger', 'manual'
  ) || case when v_video is null then '{}'::jsonb else jsonb_build_object('music_video_id', v_video) end;

  -- Insert, or find the live job that won the unique index. A job that finishes between the
  -- two statements leaves neither, so try again (bounded).
  for attempt in 1..5 loop
    insert into public.music_video_metric_imports (music_video_id, platform, source, triggered_by, max_attempts, metadata)
    values (null, null, 'export', v_triggered_by, 3, v_meta)
    on conflict (
      (metadata ->> 'release_id'), (metadata ->> 'format'), (coalesce(metadata ->> 'kind', 'analytics')),
      (coalesce(metadata ->> 'music_video_id', ''))
    )
    where source = 'export' and status in ('pending', 'processing')
    do nothing
    returning id, status into v_id, v_status;
    if v_id is not null then
      v_created := true;
      exit;
    end if;
    select i.id, i.status into v_id, v_status
    from public.music_video_metric_imports as i
    where i.source = 'export'
      and i.status in ('pending', 'processing')
      and i.metadata ->> 'release_id' = v_release_id::text
      and i.metadata ->> 'format' = v_format
      and coalesce(i.metadata ->> 'kind', 'analytics') = p_kind
      and coalesce(i.metadata ->> 'music_video_id', '') = coalesce(v_video, '')
    order by i.created_at
    limit 1;
    if v_id is not null then
      v_created := false;
      exit;
    end if;
  end loop;
  if v_id is null then
    raise exception using errcode = 'PT409', message = 'The export could not be queued; try again',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'format', 'busy', 'The same export changed while it was queued; try again.')))::text;
  end if;

  return jsonb_build_object(
    'id', v_id, 'release_id', v_release_id, 'format', v_format, 'status', v_status, 'created', v_created
  ) || case when p_kind = 'shotlist'
    then jsonb_build_object('kind', p_kind, 'music_video_id', p_music_video_id) else '{}'::jsonb end;
end
$$;
revoke all on function private.enqueue_music_video_export(text, text, uuid, uuid) from public;
grant execute on function private.enqueue_music_video_export(text, text, uuid, uuid) to authenticated, service_role;
