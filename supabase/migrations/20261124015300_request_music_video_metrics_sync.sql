-- POST /music-videos/:id/metrics/sync (spec 2.3, acceptance criterion 5): the "Sync Metrics"
-- button. Enqueues one pending import job per source the video has and returns the job ids,
-- which the UI polls (spec 3.4). A job already pending or processing for the same video and
-- source is reused (music_video_metric_imports_one_live_sync_idx), so double clicks and
-- concurrent requests create one job. Broadcast jobs come from a CSV import request, not here.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The work, as security definer: only admins and the service role may write the imports table
-- under RLS, and an owner's sync request must still create the job. It therefore checks access
-- itself, first, through the one access rule (PT404 for a video that is missing or not yours).
-- The sources match the workers' coordinator (workers/sync.py SOURCE_RULES): youtube when the
-- video has a YouTube target with its video id; charts when it has a chart target or a chart
-- matching key. A manual request ignores auto_sync, which governs the scheduled runs.
create or replace function private.request_music_video_metrics_sync(p_music_video_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_sources text[];
  v_source text;
  v_id uuid;
  v_status public.import_status_enum;
  v_created boolean;
  v_triggered_by uuid;
  v_sync_id text;
  v_items jsonb := '[]'::jsonb;
begin
  if p_music_video_id is null
     or not private.can_access_video(p_music_video_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;

  select array_remove(array[
    case when exists (
      select 1
      from public.music_video_platform_targets as t
      where t.music_video_id = v.id and t.platform = 'youtube' and t.external_id is not null
    ) then 'youtube' end,
    case when v.kpi_chart_target is not null or v.spotify_track_uri is not null
      or v.apple_music_id is not null or v.isrc is not null then 'charts' end
  ], null)
  into v_sources
  from public.music_videos as v
  where v.id = p_music_video_id;

  if cardinality(v_sources) = 0 then
    raise exception using
      errcode = 'PT422',
      message = 'This music video has nothing to sync',
      detail = jsonb_build_object(
        'platform_targets', 'add a YouTube target with its video URL to sync YouTube views',
        'kpi_chart_target', 'set a chart target (or an ISRC, Spotify or Apple Music id) to sync chart positions'
      )::text,
      hint = 'TV and MTV figures are imported from a CSV upload instead.';
  end if;

  -- triggered_by references profiles; a caller without a profile row (or the service role)
  -- leaves it null rather than failing the request.
  select p.id into v_triggered_by from public.profiles as p where p.id = (select auth.uid());
  -- Groups this request's jobs for the music_video.metrics_synced event, as the coordinator does.
  v_sync_id := replace(extensions.uuid_generate_v4()::text, '-', '') || ':' || p_music_video_id::text;

  foreach v_source in array v_sources loop
    v_id := null;
    -- Insert, or find the live job that won the unique index. A job that finishes between the
    -- two statements leaves neither, so try again (bounded).
    for attempt in 1..5 loop
      insert into public.music_video_metric_imports
        (music_video_id, platform, source, triggered_by, metadata)
      values (
        p_music_video_id,
        case v_source when 'youtube' then 'youtube'::public.platform_enum end,
        v_source,
        v_triggered_by,
        jsonb_build_object('trigger', 'manual', 'sync_id', v_sync_id)
      )
      on conflict (music_video_id, source)
      where status in ('pending', 'processing') and source in ('youtube', 'charts')
      do nothing
      returning id, status into v_id, v_status;
      if v_id is not null then
        v_created := true;
        exit;
      end if;
      select i.id, i.status into v_id, v_status
      from public.music_video_metric_imports as i
      where i.music_video_id = p_music_video_id
        and i.source = v_source
        and i.status in ('pending', 'processing')
      order by i.created_at
      limit 1;
      if v_id is not null then
        v_created := false;
        exit;
      end if;
    end loop;
    if v_id is null then
      raise exception using
        errcode = 'PT409',
        message = 'The sync could not be queued; try again',
        detail = jsonb_build_object('source', v_source)::text;
    end if;
    v_items := v_items || jsonb_build_array(jsonb_build_object(
      'id', v_id, 'source', v_source, 'status', v_status, 'created', v_created));
  end loop;

  return jsonb_build_object(
    'music_video_id', p_music_video_id,
    'import_ids', (select jsonb_agg(it -> 'id') from jsonb_array_elements(v_items) as it),
    'imports', v_items
  );
end
$$;
revoke all on function private.request_music_video_metrics_sync(uuid) from public;
grant execute on function private.request_music_video_metrics_sync(uuid) to authenticated, service_role;

-- The RPC PostgREST exposes. security invoker, so the exposed schema holds no security definer
-- function (Supabase's linter flags those); the private function above does the checked write.
-- id is text, as in get_music_video(id), so a malformed id is the same PT404 as a missing one.
create or replace function public.request_music_video_metrics_sync(id text default null)
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
