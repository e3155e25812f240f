-- The import-object check (private.check_music_video_import_objects, 20261130150400) ran as a
-- PL/pgSQL call for every inserted import row and every update of an import's metadata, source
-- or video, even when the row names no object: a nightly of half a million jobs called it half a
-- million times to learn that. Now the trigger asks first, in its WHEN clause (evaluated without
-- calling the function): a row runs the check only when its metadata names an object (bucket,
-- path, file, raw_payload), and an update only when it changes those references, the source or
-- the video. Same rule, same errors; a row that names nothing passes as before.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

drop trigger check_import_objects on public.music_video_metric_imports;

-- Why: an insert names objects only through these keys; without them there is nothing to check.
create trigger check_import_objects_on_insert
before insert on public.music_video_metric_imports
for each row
when (new.metadata ?| array['bucket', 'path', 'file', 'raw_payload'])
execute function private.check_music_video_import_objects();

-- Why: an update is checked when what the check reads changed (the references, the source, the
-- video) and the row names an object; the queue's finish merges counts into metadata every time.
create trigger check_import_objects_on_update
before update of metadata, source, music_video_id on public.music_video_metric_imports
for each row
when (
  new.metadata ?| array['bucket', 'path', 'file', 'raw_payload']
  and (
    new.source is distinct from old.source
    or new.music_video_id is distinct from old.music_video_id
    or new.metadata -> 'bucket' is distinct from old.metadata -> 'bucket'
    or new.metadata -> 'path' is distinct from old.metadata -> 'path'
    or new.metadata -> 'file' is distinct from old.metadata -> 'file'
    or new.metadata -> 'raw_payload' is distinct from old.metadata -> 'raw_payload'
  )
)
execute function private.check_music_video_import_objects();
