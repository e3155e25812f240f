-- Import rows may name only their own files. The broadcast worker reads the object that an
-- import row's metadata names (metadata.bucket / metadata.path) with the service key, so an
-- admin (who may insert import rows) could have it read any Storage object, e.g. another
-- release's moodboard, through a crafted row. Now, whoever writes the row (admin, service role,
-- the RPC), the object references in its metadata must be the source's own:
--   * bucket / path (what the broadcast worker reads) and file {bucket, path} (what it records):
--     broadcast jobs only, in music-video-broadcast-imports, under <release_id>/ of the row's
--     own video, a safe relative name (private.storage_name_safe) of a .csv, .tsv or .txt file;
--     no other source names an object there;
--   * raw_payload {bucket, path} (what the YouTube worker keeps for replay; the chart worker
--     records the bare path): the raw-payload bucket only, with a safe name.
-- A violation answers 22023 with detail {"problems": [...]}. Rows without object references
-- (the nightly YouTube and chart jobs) cost one key test.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.check_music_video_import_objects()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_meta jsonb := new.metadata;
  v_release uuid;
  v_problems jsonb := '[]'::jsonb;
  v_ref record;
begin
  if not (v_meta ?| array['bucket', 'path', 'file', 'raw_payload']) then
    return new;
  end if;
  if v_meta ?| array['bucket', 'path', 'file'] then
    select v.release_id into v_release from public.music_videos as v where v.id = new.music_video_id;
  end if;
  for v_ref in
    select 'metadata' as field, v_meta -> 'bucket' as bucket, v_meta -> 'path' as path
    where v_meta ?| array['bucket', 'path']
    union all
    select 'metadata.file', v_meta -> 'file' -> 'bucket', v_meta -> 'file' -> 'path'
    where v_meta ? 'file'
  loop
    if new.source <> 'broadcast' then
      v_problems := v_problems || private.plan_problem(v_ref.field, 'not_allowed',
        format('A %s import does not read uploaded files; remove bucket and path.', new.source));
    elsif v_ref.bucket is not null and v_ref.bucket <> '"music-video-broadcast-imports"'::jsonb then
      v_problems := v_problems || private.plan_problem(v_ref.field || '.bucket', 'wrong_bucket',
        'A broadcast import reads from the music-video-broadcast-imports bucket only.');
    elsif jsonb_typeof(v_ref.path) is distinct from 'string'
          or not private.storage_name_safe(v_ref.path #>> '{}')
          or v_release is null
          or private.try_uuid((storage.foldername(v_ref.path #>> '{}'))[1]) is distinct from v_release
          or not private.storage_extension_allowed('music-video-broadcast-imports', v_ref.path #>> '{}') then
      v_problems := v_problems || private.plan_problem(v_ref.field || '.path', 'invalid_path',
        format('The file must be a .csv, .tsv or .txt inside the release folder %s/ of this video.',
          coalesce(v_release::text, '<release_id>')));
    end if;
  end loop;
  -- The chart worker records the bare path (a string, or null when nothing was fetched).
  if v_meta ? 'raw_payload' and not (case jsonb_typeof(v_meta -> 'raw_payload')
    when 'null' then true
    when 'string' then private.storage_name_safe(v_meta ->> 'raw_payload')
    when 'object' then
      v_meta -> 'raw_payload' -> 'bucket' is not distinct from '"music-video-raw-payloads"'::jsonb
      and jsonb_typeof(v_meta -> 'raw_payload' -> 'path') = 'string'
      and private.storage_name_safe(v_meta -> 'raw_payload' ->> 'path')
    else false
  end) then
    v_problems := v_problems || private.plan_problem('metadata.raw_payload', 'invalid_path',
      'A raw payload lives in the music-video-raw-payloads bucket under a safe relative name.');
  end if;
  if jsonb_array_length(v_problems) > 0 then
    raise exception using
      errcode = '22023',
      message = 'The import names a file it may not read: ' || (v_problems -> 0 ->> 'message'),
      detail = jsonb_build_object('problems', v_problems)::text,
      hint = 'Broadcast imports read music-video-broadcast-imports/<release_id>/... of their own video.';
  end if;
  return new;
end
$$;
revoke all on function private.check_music_video_import_objects() from public;

create trigger check_import_objects
before insert or update of metadata, source, music_video_id on public.music_video_metric_imports
for each row execute function private.check_music_video_import_objects();
