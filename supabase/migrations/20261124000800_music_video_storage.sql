-- Storage buckets of the feature and who may touch their objects. Object names start with the
-- release id (<release_id>/<music_video_id>/<file>), which is what the policies check.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Moodboard images (spec 2.4, 4.3): private, 10 MB, JPEG and PNG only.
-- Raw API payload snapshots kept for audit and replay: private, service role only.
-- Broadcast CSV uploads (spec 3.3), streamed by the worker: private, up to 1 GB.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values
(
  'music-video-moodboards', 'music-video-moodboards', false, 10485760,
  array['image/jpeg', 'image/png']
),
('music-video-raw-payloads', 'music-video-raw-payloads', false, null, null),
(
  'music-video-broadcast-imports', 'music-video-broadcast-imports', false, 1073741824,
  array['text/csv', 'text/plain', 'text/tab-separated-values', 'application/vnd.ms-excel']
)
on conflict (id) do update
  set
    public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- The release folder of an object name, when the caller may access that release.
create or replace function private.can_access_release_folder(p_name text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select private.try_uuid((storage.foldername(p_name))[1]) in (select private.accessible_release_ids())
$$;
revoke all on function private.can_access_release_folder(text) from public;
grant execute on function private.can_access_release_folder(text) to authenticated, service_role;

-- The file types each owner-writable bucket takes; the bucket's mime list is the Storage API's
-- check, this one holds for any path that reaches the table.
create or replace function private.storage_extension_allowed(p_bucket_id text, p_name text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case p_bucket_id
    when 'music-video-moodboards' then lower(storage.extension(p_name)) in ('jpg', 'jpeg', 'png')
    when 'music-video-broadcast-imports' then lower(storage.extension(p_name)) in ('csv', 'tsv', 'txt')
    else false
  end
$$;
revoke all on function private.storage_extension_allowed(text, text) from public;
grant execute on function private.storage_extension_allowed(text, text) to authenticated, service_role;

create policy "Release owners read their moodboards and broadcast uploads" on storage.objects
for select to authenticated
using (
  bucket_id in ('music-video-moodboards', 'music-video-broadcast-imports')
  and private.can_access_release_folder(name)
);

create policy "Release owners upload moodboards and broadcast files" on storage.objects
for insert to authenticated
with check (
  bucket_id in ('music-video-moodboards', 'music-video-broadcast-imports')
  and private.can_access_release_folder(name)
  and private.storage_extension_allowed(bucket_id, name)
);

create policy "Release owners replace their moodboards and broadcast files" on storage.objects
for update to authenticated
using (
  bucket_id in ('music-video-moodboards', 'music-video-broadcast-imports')
  and private.can_access_release_folder(name)
)
with check (
  bucket_id in ('music-video-moodboards', 'music-video-broadcast-imports')
  and private.can_access_release_folder(name)
  and private.storage_extension_allowed(bucket_id, name)
);

create policy "Release owners delete their moodboards and broadcast files" on storage.objects
for delete to authenticated
using (
  bucket_id in ('music-video-moodboards', 'music-video-broadcast-imports')
  and private.can_access_release_folder(name)
);
