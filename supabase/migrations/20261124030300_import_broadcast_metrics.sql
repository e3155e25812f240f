-- POST /music-videos/:id/broadcast-imports (spec 3.3): after uploading a weekly TV/MTV CSV to
-- the music-video-broadcast-imports bucket (under <release_id>/...), the release team asks for
-- it to be imported, naming the file, the platform and how their headers map to air_date,
-- program and viewers. This queues one broadcast import job (the spec's
-- process_broadcast_metrics, run by workers/broadcast_jobs.py) with the mapping in its metadata,
-- and returns the import id, which the dialog polls.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The checked write, as security definer: owners may not insert import rows under RLS.
create or replace function private.import_broadcast_metrics(
  p_music_video_id uuid, p_platform text, p_object_path text, p_mapping jsonb
)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_release_id uuid;
  v_problems jsonb := '{}'::jsonb;
  v_unknown text[];
  v_key text;
  v_id uuid;
  v_triggered_by uuid;
begin
  if p_music_video_id is null
     or not ((select private.is_admin())
             or private.can_access_video(p_music_video_id)) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;
  select v.release_id into v_release_id from public.music_videos as v where v.id = p_music_video_id;
  if v_release_id is null then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;

  if p_platform is null or p_platform not in ('mtv', 'regional_tv') then
    v_problems := v_problems || jsonb_build_object('platform', 'must be mtv or regional_tv');
  end if;

  -- The mapping: their header for air_date and viewers (program optional), plus parser options.
  if p_mapping is null or jsonb_typeof(p_mapping) <> 'object' then
    v_problems := v_problems || jsonb_build_object('mapping', 'must be an object mapping columns');
  else
    select array_agg(k order by k) into v_unknown
    from jsonb_object_keys(p_mapping) as k
    where k not in (
      'air_date', 'program', 'viewers', 'layout', 'day_first', 'viewers_scale', 'delimiter',
      'decimal_separator', 'ignore'
    );
    if v_unknown is not null then
      v_problems := v_problems || jsonb_build_object(
        'mapping', 'unknown keys: ' || array_to_string(v_unknown, ', ')
        || '; use air_date, program, viewers (and layout, day_first, viewers_scale, delimiter,'
        || ' decimal_separator, ignore)'
      );
    else
      foreach v_key in array array['air_date', 'viewers'] loop
        if jsonb_typeof(p_mapping -> v_key) is distinct from 'string' or btrim(p_mapping ->> v_key) = '' then
          v_problems := v_problems || jsonb_build_object('mapping.' || v_key, 'name the CSV column (a header)');
        end if;
      end loop;
      if p_mapping ? 'program' and jsonb_typeof(p_mapping -> 'program') not in ('string', 'null') then
        v_problems := v_problems || jsonb_build_object('mapping.program', 'name the CSV column or leave it out');
      end if;
      if p_mapping ? 'layout' and (p_mapping ->> 'layout') is distinct from 'long'
         and (p_mapping ->> 'layout') is distinct from 'wide' then
        v_problems := v_problems || jsonb_build_object('mapping.layout', 'must be long or wide');
      end if;
      if p_mapping ? 'day_first' and jsonb_typeof(p_mapping -> 'day_first') <> 'boolean' then
        v_problems := v_problems || jsonb_build_object('mapping.day_first', 'must be true or false');
      end if;
      if p_mapping ? 'viewers_scale'
         and (jsonb_typeof(p_mapping -> 'viewers_scale') <> 'number' or (p_mapping ->> 'viewers_scale')::numeric <= 0) then
        v_problems := v_problems || jsonb_build_object('mapping.viewers_scale', 'must be a positive number');
      end if;
    end if;
  end if;

  -- The object: a CSV inside this video's release folder, already uploaded.
  if p_object_path is null or p_object_path = '' then
    v_problems := v_problems || jsonb_build_object('object_path', 'name the uploaded file');
  elsif p_object_path like '/%' or strpos(p_object_path, chr(92)) > 0 or '..' = any(string_to_array(p_object_path, '/'))
        or '.' = any(string_to_array(p_object_path, '/')) or '' = any(string_to_array(p_object_path, '/')) then
    v_problems := v_problems || jsonb_build_object('object_path', 'not a valid object path');
  elsif private.try_uuid((storage.foldername(p_object_path))[1]) is distinct from v_release_id then
    v_problems := v_problems || jsonb_build_object(
      'object_path', 'must be inside the release folder ' || v_release_id::text || '/'
    );
  elsif not private.storage_extension_allowed('music-video-broadcast-imports', p_object_path) then
    v_problems := v_problems || jsonb_build_object('object_path', 'must be a .csv, .tsv or .txt file');
  end if;

  if v_problems <> '{}'::jsonb then
    raise exception using
      errcode = '22023',
      message = 'Invalid broadcast import request',
      detail = v_problems::text,
      hint = 'Upload the CSV to music-video-broadcast-imports/<release_id>/..., then map air_date, program and viewers.';
  end if;

  if not exists (
    select 1 from storage.objects as o
    where o.bucket_id = 'music-video-broadcast-imports' and o.name = p_object_path
  ) then
    raise exception using
      errcode = 'PT404',
      message = 'Uploaded file not found',
      detail = jsonb_build_object('object_path', 'no uploaded file at this path')::text;
  end if;

  select p.id into v_triggered_by from public.profiles as p where p.id = (select auth.uid());
  insert into public.music_video_metric_imports (music_video_id, platform, source, triggered_by, metadata)
  values (
    p_music_video_id, p_platform::public.platform_enum, 'broadcast', v_triggered_by,
    jsonb_build_object(
      'trigger', 'upload',
      'bucket', 'music-video-broadcast-imports',
      'path', p_object_path,
      'mapping', p_mapping
    )
  )
  returning id into v_id;
  return v_id;
end
$$;
revoke all on function private.import_broadcast_metrics(uuid, text, text, jsonb) from public;
grant execute on function private.import_broadcast_metrics(uuid, text, text, jsonb) to authenticated, service_role;

-- The RPC PostgREST exposes (security invoker; the private function checks access and writes).
create or replace function public.import_broadcast_metrics(
  music_video_id text, platform text, object_path text, mapping jsonb
)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.import_broadcast_metrics(private.try_uuid(music_video_id), platform, object_path, mapping)
$$;
revoke all on function public.import_broadcast_metrics(text, text, text, jsonb) from public, anon;
grant execute on function public.import_broadcast_metrics(text, text, text, jsonb) to authenticated, service_role;
