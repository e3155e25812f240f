-- One error shape (issue 12, section 1): import_broadcast_metrics answered its 22023 and its
-- "uploaded file not found" PT404 with a flat detail ({"field": "message"}). Same checks, same
-- SQLSTATEs, same messages and hint; detail is now {"problems": [{field, code, message}]}, one
-- problem per finding, as every other RPC answers. Only the errors change.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The checked write behind public.import_broadcast_metrics (20261124030300): validation
-- collects every problem (codes: invalid_choice, invalid_type, unknown_field, required,
-- not_positive, invalid_format, outside_release_folder, invalid_extension) before one 22023.
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
  v_problems jsonb := '[]'::jsonb;
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
    v_problems := v_problems || private.plan_problem('platform', 'invalid_choice',
      'The platform of a broadcast import must be mtv or regional_tv.');
  end if;

  -- The mapping: their header for air_date and viewers (program optional), plus parser options.
  if p_mapping is null or jsonb_typeof(p_mapping) <> 'object' then
    v_problems := v_problems || private.plan_problem('mapping', 'invalid_type',
      'The mapping must be an object naming the CSV columns.');
  elsif exists (
    select 1 from jsonb_object_keys(p_mapping) as k
    where k not in (
      'air_date', 'program', 'viewers', 'layout', 'day_first', 'viewers_scale', 'delimiter',
      'decimal_separator', 'ignore'
    )
  ) then
    select v_problems || jsonb_agg(private.plan_problem('mapping.' || left(k, 60), 'unknown_field',
      format('Unknown mapping key "%s"; use air_date, program, viewers (and layout, day_first,'
        || ' viewers_scale, delimiter, decimal_separator, ignore).', left(k, 60))) order by k)
    into v_problems
    from jsonb_object_keys(p_mapping) as k
    where k not in (
      'air_date', 'program', 'viewers', 'layout', 'day_first', 'viewers_scale', 'delimiter',
      'decimal_separator', 'ignore'
    );
  else
    foreach v_key in array array['air_date', 'viewers'] loop
      if jsonb_typeof(p_mapping -> v_key) is distinct from 'string' or btrim(p_mapping ->> v_key) = '' then
        v_problems := v_problems || private.plan_problem('mapping.' || v_key, 'required',
          format('Name the CSV column (its header) that holds %s.', v_key));
      end if;
    end loop;
    if p_mapping ? 'program' and jsonb_typeof(p_mapping -> 'program') not in ('string', 'null') then
      v_problems := v_problems || private.plan_problem('mapping.program', 'invalid_type',
        'Name the CSV column of the program, or leave it out.');
    end if;
    if p_mapping ? 'layout' and (p_mapping ->> 'layout') is distinct from 'long'
       and (p_mapping ->> 'layout') is distinct from 'wide' then
      v_problems := v_problems || private.plan_problem('mapping.layout', 'invalid_choice',
        'The layout must be long or wide.');
    end if;
    if p_mapping ? 'day_first' and jsonb_typeof(p_mapping -> 'day_first') <> 'boolean' then
      v_problems := v_problems || private.plan_problem('mapping.day_first', 'invalid_type',
        'day_first must be true or false.');
    end if;
    if p_mapping ? 'viewers_scale'
       and (jsonb_typeof(p_mapping -> 'viewers_scale') <> 'number' or (p_mapping ->> 'viewers_scale')::numeric <= 0) then
      v_problems := v_problems || private.plan_problem('mapping.viewers_scale', 'not_positive',
        'viewers_scale must be a positive number.');
    end if;
  end if;

  -- The object: a CSV inside this video's release folder, already uploaded.
  if p_object_path is null or p_object_path = '' then
    v_problems := v_problems || private.plan_problem('object_path', 'required', 'Name the uploaded file.');
  elsif p_object_path like '/%' or strpos(p_object_path, chr(92)) > 0 or '..' = any(string_to_array(p_object_path, '/'))
        or '.' = any(string_to_array(p_object_path, '/')) or '' = any(string_to_array(p_object_path, '/')) then
    v_problems := v_problems || private.plan_problem('object_path', 'invalid_format', 'This is not a valid object path.');
  elsif private.try_uuid((storage.foldername(p_object_path))[1]) is distinct from v_release_id then
    v_problems := v_problems || private.plan_problem('object_path', 'outside_release_folder',
      'The file must be inside the release folder ' || v_release_id::text || '/.');
  elsif not private.storage_extension_allowed('music-video-broadcast-imports', p_object_path) then
    v_problems := v_problems || private.plan_problem('object_path', 'invalid_extension',
      'The file must be a .csv, .tsv or .txt file.');
  end if;

  if jsonb_array_length(v_problems) > 0 then
    raise exception using
      errcode = '22023',
      message = 'Invalid broadcast import request',
      detail = jsonb_build_object('problems', v_problems)::text,
      hint = 'Upload the CSV to music-video-broadcast-imports/<release_id>/..., then map air_date, program and viewers.';
  end if;

  if not exists (
    select 1 from storage.objects as o
    where o.bucket_id = 'music-video-broadcast-imports' and o.name = p_object_path
  ) then
    raise exception using
      errcode = 'PT404',
      message = 'Uploaded file not found',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'object_path', 'not_found', 'No uploaded file at this path.')))::text;
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
