-- The files of requested exports (20261130180000): a private bucket whose object names are
-- <release_id>/<job_id>.<csv|pdf>. Only the worker (service role, past RLS) writes them; the
-- release owner may read them, which is what lets the app create a signed URL. Nobody else (no
-- other user, no anon) may read, and no user may write or delete.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('music-video-exports', 'music-video-exports', false, 104857600, array['text/csv', 'application/pdf'])
on conflict (id) do update
  set
    public = excluded.public,
    file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types;

-- One select policy on storage.objects for the feature's buckets: the existing one, widened by
-- the exports bucket, with the same release-folder rule. Insert, update and delete policies stay
-- as they are (moodboards and broadcast uploads only), so owners cannot write exports.
drop policy "Release owners read their moodboards and broadcast uploads" on storage.objects;
create policy "Release owners read moodboards, uploads and exports" on storage.objects
for select to authenticated
using (
  bucket_id in ('music-video-moodboards', 'music-video-broadcast-imports', 'music-video-exports')
  and private.can_access_release_folder(name)
);
