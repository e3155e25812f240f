-- Moodboards re-checked when their file changes (issue "Hostile input", finding 2, continued).
--
-- The content check (20261130190000) runs when a moodboard row is inserted or gets a new path.
-- But the owner may replace the object behind a row that already passed (Storage's upsert or a
-- delete and a new upload at the same name): the row does not change, so nothing would look at
-- the new bytes. A trigger on storage.objects of the moodboards bucket sends every row naming
-- the written object back to 'pending' and enqueues its check, whoever wrote it.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The object trigger. security definer: the uploader may not write the verdict columns nor the
-- queue; what it writes is fully determined by the object the caller was allowed to write.
create or replace function private.recheck_replaced_moodboard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row record;
begin
  for v_row in
    update public.music_video_moodboards as mb
    set check_status = 'pending', check_error = null, checked_at = null
    -- the path is <release>/<video>/<name>: the video id reaches the (video, path) unique index
    where mb.music_video_id = private.try_uuid((storage.foldername(new.name))[2])
      and mb.storage_path = new.name
    returning mb.id, mb.music_video_id, mb.storage_path
  loop
    perform private.enqueue_moodboard_check_of(v_row.id, v_row.music_video_id, v_row.storage_path);
  end loop;
  return null;
end
$$;
revoke all on function private.recheck_replaced_moodboard() from public;

create trigger recheck_replaced_moodboard
after insert or update of name, metadata, version on storage.objects
for each row
when (new.bucket_id = 'music-video-moodboards')
execute function private.recheck_replaced_moodboard();
