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

-- One place that enqueues a moodboard's check, for both triggers (a pending check of the same
-- moodboard is reused and pointed at the latest path).
create or replace function private.enqueue_moodboard_check_of(p_id uuid, p_video_id uuid, p_path text)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into public.music_video_metric_imports (music_video_id, platform, source, max_attempts, metadata)
  values (
    null, null, 'moodboard_check', 5,
    jsonb_build_object('moodboard_id', p_id, 'video_id', p_video_id, 'moodboard_path', p_path)
  )
  on conflict ((metadata ->> 'moodboard_id'))
  where source = 'moodboard_check' and status = 'pending'
  do update set metadata = excluded.metadata, run_after = now()
$$;
revoke all on function private.enqueue_moodboard_check_of(uuid, uuid, text) from public;

-- The row trigger, now through the shared enqueue.
create or replace function private.enqueue_moodboard_check()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.enqueue_moodboard_check_of(new.id, new.music_video_id, new.storage_path);
  return null;
end
$$;
revoke all on function private.enqueue_moodboard_check() from public;

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
