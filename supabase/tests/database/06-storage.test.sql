-- Storage: the private moodboard bucket's limits, the other private buckets, and the object
-- policies by release access (objects live under <release_id>/<music_video_id>/<file>).
begin;
select plan(12);
\ir 00-helpers.sql

select results_eq(
  $$select public, file_size_limit, allowed_mime_types from storage.buckets where id = 'music-video-moodboards'$$,
  $$values (false, 10485760::bigint, array['image/jpeg', 'image/png'])$$,
  'moodboards: private, 10 MB, JPEG and PNG only'
);
select results_eq(
  $$select id, public from storage.buckets
    where id in ('music-video-raw-payloads', 'music-video-broadcast-imports') order by id$$,
  $$values ('music-video-broadcast-imports', false), ('music-video-raw-payloads', false)$$,
  'raw payload and broadcast upload buckets exist and are private'
);

create temp table storage_cases (actor text, claims jsonb, role text, stmt text, expected text, label text);
insert into storage_cases values
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/mood.png')$q$,
   'ok:1', 'owner uploads a PNG to their release folder'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/MOOD.JPEG')$q$,
   'ok:1', 'owner uploads a JPEG (extension case-insensitive)'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/payload.exe')$q$,
   'denied', 'owner cannot upload a non-image to moodboards'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-moodboards', '00000000-0000-4000-8000-0000000000b1/x/mood.png')$q$,
   'denied', 'owner cannot upload into another release''s folder'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-moodboards', 'not-a-uuid/mood.png')$q$,
   'denied', 'a malformed folder is refused, not an error'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-broadcast-imports', '00000000-0000-4000-8000-0000000000a1/week-45.csv')$q$,
   'ok:1', 'owner uploads a broadcast CSV'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$insert into storage.objects (bucket_id, name) values ('music-video-raw-payloads', '00000000-0000-4000-8000-0000000000a1/raw.json')$q$,
   'denied', 'raw payloads are not writable by users'),
  ('owner', tests.claims('00000000-0000-4000-8000-00000000000a'), 'authenticated',
   $q$select 1 from storage.objects where name like '00000000-0000-4000-8000-0000000000a1/%' and bucket_id = 'music-video-moodboards'$q$,
   'ok:1', 'owner reads their moodboard'),
  ('other', tests.claims('00000000-0000-4000-8000-00000000000b'), 'authenticated',
   $q$select 1 from storage.objects where bucket_id = 'music-video-moodboards'$q$,
   'ok:0', 'another user sees no moodboard of the owner'),
  ('anon', '{"role": "anon"}', 'anon',
   $q$select 1 from storage.objects where bucket_id = 'music-video-moodboards'$q$,
   'ok:0', 'anon sees nothing');

insert into storage.objects (bucket_id, name) values
  ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/existing.png');

select is(tests.try_as(role, claims, stmt), expected, label) from storage_cases;

select * from finish();
rollback;
