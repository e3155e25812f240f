-- "Export Shotlist" (spec 1.2 action bar, 4.1 ShotlistExportButton): the shot list of one video
-- as CSV or PDF, through the same export jobs, worker source ('export') and private
-- music-video-exports bucket as the analytics export of 20261130180000. An export job now carries
-- metadata.kind: 'analytics' (absent on older rows, and still the default) or 'shotlist' with
-- metadata.music_video_id. The job stays a release's job (music_video_id column null,
-- metadata.release_id the video's release), so the owner's read policy on the job rows and the
-- storage policy on <release_id>/<job_id>.<ext> need no change, and the summary triggers still
-- skip it. The app calls the sibling RPC request_music_video_shotlist_export(music_video_id,
-- format); request_music_video_export keeps its signature and behaviour.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Shape of the kind: only the two kinds, and a shot-list job names a video. NOT VALID (no scan
-- under the lock taken here); 20261130220300 validates the old rows in its own transaction.
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_export_kind
check (
  source <> 'export'
  or (
    coalesce(metadata ->> 'kind', 'analytics') in ('analytics', 'shotlist')
    and (
      coalesce(metadata ->> 'kind', 'analytics') = 'analytics'
      or private.try_uuid(metadata ->> 'music_video_id') is not null
    )
  )
) not valid;

-- At most one live export per release, format, kind and video (a double click gets the first job
-- back). The old index (release, format) would make a live shot-list export block the release's
-- analytics export of the same format, so it is replaced by a wider one. Plain build and drop:
-- each migration runs in one transaction; the predicate holds only live export rows, so both are
-- short under the timeouts above.
-- squawk-ignore require-concurrent-index-creation
create unique index music_video_metric_imports_one_live_export_kind_idx
on public.music_video_metric_imports (
  (metadata ->> 'release_id'), (metadata ->> 'format'), (coalesce(metadata ->> 'kind', 'analytics')),
  (coalesce(metadata ->> 'music_video_id', ''))
)
where source = 'export' and status in ('pending', 'processing');
-- squawk-ignore require-concurrent-index-deletion
drop index public.music_video_metric_imports_one_live_export_idx;

-- The one enqueue of every export: checks the arguments, then access through the one rule
-- (can_access_release for a release's analytics, can_access_video for a video's shot list: PT404
-- for missing or foreign alike), then inserts the job or returns the live one. security definer
-- because only admins and the service role may insert into the queue table under RLS.
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
    raise exception using errcode = 'PT409', message = 'The export could not be queued; try again';
  end if;

  return jsonb_build_object(
    'id', v_id, 'release_id', v_release_id, 'format', v_format, 'status', v_status, 'created', v_created
  ) || case when p_kind = 'shotlist'
    then jsonb_build_object('kind', p_kind, 'music_video_id', p_music_video_id) else '{}'::jsonb end;
end
$$;
revoke all on function private.enqueue_music_video_export(text, text, uuid, uuid) from public;
grant execute on function private.enqueue_music_video_export(text, text, uuid, uuid) to authenticated, service_role;

-- The analytics request, now through the shared enqueue (same arguments, same answer).
create or replace function private.request_music_video_export(p_release_id uuid, p_format text)
returns jsonb
language sql
volatile
security definer
set search_path = ''
as $$
  select private.enqueue_music_video_export('analytics', p_format, p_release_id, null)
$$;

-- POST /rest/v1/rpc/request_music_video_shotlist_export. security invoker; the id is text so a
-- malformed id is the same PT404 as a missing one. Returns {id, release_id, music_video_id,
-- kind: "shotlist", format, status, created}; the app polls the job row as for the analytics
-- export, then signs metadata.output.object_path in the music-video-exports bucket.
create or replace function public.request_music_video_shotlist_export(
  music_video_id text default null, format text default null
)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.enqueue_music_video_export(
    'shotlist', request_music_video_shotlist_export.format, null,
    private.try_uuid(btrim(request_music_video_shotlist_export.music_video_id))
  )
$$;
revoke all on function public.request_music_video_shotlist_export(text, text) from public, anon;
grant execute on function public.request_music_video_shotlist_export(text, text) to authenticated, service_role;
