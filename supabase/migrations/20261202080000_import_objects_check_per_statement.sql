-- The import-object check ran once per updated row (a BEFORE ROW trigger, 20261202070200). The
-- YouTube worker's finish writes the same metadata.raw_payload reference on the 50 jobs of a call,
-- so an 800-job commit checked ~16 distinct references 800 times: ~10 us a job, 7% of the commit's
-- server time in a replayed 800-job finish. Updates are now checked once per statement: an AFTER
-- STATEMENT trigger reads the statement's transition tables (the card-summary trigger already has
-- them captured), keeps the rows whose references, source or video changed (as the WHEN clause
-- did), and checks each distinct (source, references[, video]) once. Inserts keep the row trigger.
-- The rule itself now lives in one function, private.music_video_import_object_problems, which
-- both triggers call; same errors (22023, detail {"problems": [...]}), and a failing statement
-- still writes nothing.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Why: the one home of the rule "an import names only its own source's objects"; returns the
-- problems (empty when the row is fine). Reads the video's release, hence security definer.
create or replace function private.music_video_import_object_problems(p_source text, p_video uuid, p_meta jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_release uuid;
  v_problems jsonb := '[]'::jsonb;
  v_ref record;
begin
  if p_meta ?| array['bucket', 'path', 'file'] then
    select v.release_id into v_release from public.music_videos as v where v.id = p_video;
  end if;
  for v_ref in
    select 'metadata' as field, p_meta -> 'bucket' as bucket, p_meta -> 'path' as path
    where p_meta ?| array['bucket', 'path']
    union all
    select 'metadata.file', p_meta -> 'file' -> 'bucket', p_meta -> 'file' -> 'path'
    where p_meta ? 'file'
  loop
    if p_source <> 'broadcast' then
      v_problems := v_problems || private.plan_problem(v_ref.field, 'not_allowed',
        format('A %s import does not read uploaded files; remove bucket and path.', p_source));
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
  if p_meta ? 'raw_payload' and not (case jsonb_typeof(p_meta -> 'raw_payload')
    when 'null' then true
    when 'string' then private.storage_name_safe(p_meta ->> 'raw_payload')
    when 'object' then
      p_meta -> 'raw_payload' -> 'bucket' is not distinct from '"music-video-raw-payloads"'::jsonb
      and jsonb_typeof(p_meta -> 'raw_payload' -> 'path') = 'string'
      and private.storage_name_safe(p_meta -> 'raw_payload' ->> 'path')
    else false
  end) then
    v_problems := v_problems || private.plan_problem('metadata.raw_payload', 'invalid_path',
      'A raw payload lives in the music-video-raw-payloads bucket under a safe relative name.');
  end if;
  return v_problems;
end
$$;
revoke all on function private.music_video_import_object_problems(text, uuid, jsonb) from public;

-- Why: one home for the error the two triggers raise (first problem in the message, all in detail).
create or replace function private.assert_music_video_import_objects(p_source text, p_video uuid, p_meta jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_problems jsonb := private.music_video_import_object_problems(p_source, p_video, p_meta);
begin
  if jsonb_array_length(v_problems) > 0 then
    raise exception using
      errcode = '22023',
      message = 'The import names a file it may not read: ' || (v_problems -> 0 ->> 'message'),
      detail = jsonb_build_object('problems', v_problems)::text,
      hint = 'Broadcast imports read music-video-broadcast-imports/<release_id>/... of their own video.';
  end if;
end
$$;
revoke all on function private.assert_music_video_import_objects(text, uuid, jsonb) from public;

-- Why: the insert trigger (check_import_objects_on_insert, unchanged) now calls the one rule.
create or replace function private.check_music_video_import_objects()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.assert_music_video_import_objects(new.source, new.music_video_id, new.metadata);
  return new;
end
$$;
revoke all on function private.check_music_video_import_objects() from public;

-- Why: the update check, once per distinct reference of a statement's changed rows. The row
-- chosen for a group is any of its rows: the rule reads only the source, the four references and,
-- when an uploaded file is named, the video (part of the group then).
create or replace function private.check_music_video_import_objects_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Most updates (claims, heartbeats) touch rows that name no object: one scan, no join.
  if not exists (select 1 from new_rows as n where n.metadata ?| array['bucket', 'path', 'file', 'raw_payload']) then
    return null;
  end if;
  perform private.assert_music_video_import_objects(c.source, c.music_video_id, c.metadata)
  from (
    select distinct on (n.source, r.video, r.bucket, r.path, r.file, r.raw)
      n.source, n.music_video_id, n.metadata
    from new_rows as n
    inner join old_rows as o on o.id = n.id
    cross join lateral (select
      case when n.metadata ?| array['bucket', 'path', 'file'] then n.music_video_id end as video,
      n.metadata -> 'bucket' as bucket, n.metadata -> 'path' as path, n.metadata -> 'file' as file,
      n.metadata -> 'raw_payload' as raw) as r
    where n.metadata ?| array['bucket', 'path', 'file', 'raw_payload']
      and (
        n.source is distinct from o.source
        or n.music_video_id is distinct from o.music_video_id
        or r.bucket is distinct from o.metadata -> 'bucket'
        or r.path is distinct from o.metadata -> 'path'
        or r.file is distinct from o.metadata -> 'file'
        or r.raw is distinct from o.metadata -> 'raw_payload'
      )
  ) as c;
  return null;
end
$$;
revoke all on function private.check_music_video_import_objects_changed() from public;

drop trigger check_import_objects_on_update on public.music_video_metric_imports;

-- Why: once per update statement, after its rows are written; an error aborts the statement.
create trigger check_import_objects_on_update
after update on public.music_video_metric_imports
referencing old table as old_rows new table as new_rows
for each statement execute function private.check_music_video_import_objects_changed();
