-- Moodboard paths and Storage object names, validated.
--
-- music_video_moodboards.storage_path was unique across all users, so another user could take
-- your future path first (and a 23505 told them it was taken); it is now unique per video. Paths
-- were free text (`../../etc/passwd` was accepted); a row's path must now be
-- <release_id>/<music_video_id>/<name>.(png|jpg|jpeg) of the row's own video, and no segment may
-- be empty, `.`, `..` or carry a percent-encoded dot, slash or backslash. Captions are bounded.
-- The Storage policies of the feature's buckets refuse the same unsafe object names, whatever
-- release folder they start with, and the moodboard bucket keeps its 10 MB and PNG/JPEG limits.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Whether an object name is safe to resolve: relative, at most 1024 characters, no control
-- characters or backslashes, no empty, `.` or `..` segment, and no percent-encoded dot, slash or
-- backslash (which a later decoding step could turn into one of those).
create or replace function private.storage_name_safe(p_name text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(
    char_length(p_name) between 1 and 1024
    and p_name !~ '[[:cntrl:]\\]'
    and p_name !~* '%(2e|2f|5c)'
    and not exists (
      select 1 from unnest(string_to_array(p_name, '/')) as s (segment)
      where s.segment in ('', '.', '..')
    ),
    false
  )
$$;
revoke all on function private.storage_name_safe(text) from public;
grant execute on function private.storage_name_safe(text) to authenticated, service_role;

-- The release folder of an object name, when the caller may access that release and the name is
-- safe (20261124000800's rule plus private.storage_name_safe). Every policy of the moodboard and
-- broadcast buckets asks it, so they all refuse `<mine>/../<theirs>/x.png` and
-- `<mine>/%2e%2e/<theirs>/x.png`.
create or replace function private.can_access_release_folder(p_name text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select private.storage_name_safe(p_name)
    and private.try_uuid((storage.foldername(p_name))[1]) in (select private.accessible_release_ids())
$$;

-- The moodboard bucket: private, 10 MB, PNG and JPEG only (spec 4.3), stated again here so a
-- bucket created by hand before the migrations ran gets the limits too.
update storage.buckets
set public = false, file_size_limit = 10485760, allowed_mime_types = array['image/jpeg', 'image/png']
where id = 'music-video-moodboards';

-- The problems of a moodboard row: its path must be a PNG/JPEG directly in its own video's
-- folder, and the caption at most 2,000 characters. security definer to read the video's release
-- past RLS (the row's own video, which the caller's insert policy already vouches for).
create or replace function private.check_music_video_moodboard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_release uuid;
  v_parts text[] := string_to_array(new.storage_path, '/');
  v_problems jsonb := '[]'::jsonb;
begin
  -- A video the caller cannot access: say nothing about it; the insert policy refuses the row.
  if current_setting('role') in ('authenticated', 'anon') and not private.can_access_video(new.music_video_id) then
    return new;
  end if;
  select v.release_id into v_release from public.music_videos as v where v.id = new.music_video_id;
  if not private.storage_name_safe(new.storage_path)
     or cardinality(v_parts) <> 3
     or private.try_uuid(v_parts[1]) is distinct from v_release
     or private.try_uuid(v_parts[2]) is distinct from new.music_video_id
     or char_length(v_parts[3]) > 255
     or v_parts[3] !~* '^[^/]+\.(png|jpe?g)$' then
    v_problems := v_problems || private.plan_problem('storage_path', 'invalid_path',
      format('A moodboard file must be %s/%s/<name>.png, .jpg or .jpeg (no empty, "." or ".." segments).',
        v_release, new.music_video_id));
  end if;
  if char_length(new.caption) > 2000 then
    v_problems := v_problems || private.plan_problem('caption', 'too_long',
      'The caption can have at most 2000 characters.');
  end if;
  if jsonb_array_length(v_problems) > 0 then
    perform private.raise_plan_problems(v_problems);
  end if;
  return new;
end
$$;
revoke all on function private.check_music_video_moodboard() from public;

create trigger check_moodboard before insert or update of storage_path, caption, music_video_id
on public.music_video_moodboards
for each row execute function private.check_music_video_moodboard();

-- Unique per video, not across all users. The new index leads with music_video_id, so it also
-- serves the policies' and the document's lookups by video. Plain builds and a validation in
-- the same transaction: each migration runs in one transaction, and the table holds a few rows
-- per video (moodboard images), so the locks last milliseconds.
-- squawk-ignore ban-drop-constraint
alter table public.music_video_moodboards drop constraint music_video_moodboards_storage_path_key;
-- squawk-ignore require-concurrent-index-creation
create unique index music_video_moodboards_video_path_key
on public.music_video_moodboards (music_video_id, storage_path);

-- The caption bound as a constraint too (the trigger reports it first, as PT422).
alter table public.music_video_moodboards
add constraint music_video_moodboards_caption_length check (char_length(caption) <= 2000) not valid;
-- squawk-ignore constraint-missing-not-valid
alter table public.music_video_moodboards validate constraint music_video_moodboards_caption_length;
