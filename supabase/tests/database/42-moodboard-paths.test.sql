-- Moodboard rows and Storage object names (20261130150300): a row's storage_path is
-- <release_id>/<video_id>/<name>.(png|jpg|jpeg) of its own video, unique per video (not across
-- users), captions are bounded, and the Storage policies refuse `..`, `.`, empty and
-- percent-encoded-dot segments.
begin;
select plan(22);
\ir 00-helpers.sql

create function pg_temp.outcome(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  v_state text;
  v_detail text;
begin
  return tests.try_as(p_role, p_claims, p_sql);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail;
  return v_state || coalesce(' ' || (
    select string_agg((p ->> 'field') || ':' || (p ->> 'code'), ',' order by o)
    from jsonb_array_elements(v_detail::jsonb -> 'problems') with ordinality as x (p, o)
    where v_detail like '{%'
  ), '');
end
$$;

insert into public.music_videos (id, release_id, title) values
  ('00000000-0000-4000-8000-0000000000f9', '00000000-0000-4000-8000-0000000000b1', 'Theirs');

create temp table mb_cases (n int, who text, stmt text, expected text, label text);
insert into mb_cases values
  (1, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/look.jpg')$q$,
   'ok:1', 'a path in the video''s own folder is accepted'),
  (2, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '../../etc/passwd')$q$,
   'PT422 storage_path:invalid_path', '../../etc/passwd is refused'),
  (3, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/../../../00000000-0000-4000-8000-0000000000b1/x.png')$q$,
   'PT422 storage_path:invalid_path', '.. segments are refused'),
  (4, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/%2e%2e.png')$q$,
   'PT422 storage_path:invalid_path', 'percent-encoded dots are refused'),
  (5, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1//x.png')$q$,
   'PT422 storage_path:invalid_path', 'empty segments are refused'),
  (6, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000b1/00000000-0000-4000-8000-0000000000f9/x.png')$q$,
   'PT422 storage_path:invalid_path', 'another video''s folder is refused'),
  (7, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/x.gif')$q$,
   'PT422 storage_path:invalid_path', 'only .png, .jpg and .jpeg'),
  (8, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path, caption) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/c.png', repeat('x', 2001))$q$,
   'PT422 caption:too_long', 'a caption over 2,000 characters is refused'),
  (9, 'owner', $q$update public.music_video_moodboards set storage_path = '../x.png' where id = '00000000-0000-4000-8000-000000000104'$q$,
   'PT422 storage_path:invalid_path', 'PATCH is held to the same path rule'),
  (10, 'owner', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/board.png')$q$,
   '23505', 'the same path twice in one video is a conflict'),
  (11, 'other', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f9', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/next.png')$q$,
   'PT422 storage_path:invalid_path', 'another user cannot take the owner''s (future) path'),
  (12, 'other', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f9', '00000000-0000-4000-8000-0000000000b1/00000000-0000-4000-8000-0000000000f9/board.png')$q$,
   'ok:1', 'a path is unique per video: the other user''s board.png does not collide'),
  (13, 'other', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '../../etc/passwd')$q$,
   'denied', 'a row under a video one cannot access says nothing about that video');

select is(
  pg_temp.outcome('authenticated',
    tests.claims(case c.who when 'owner' then '00000000-0000-4000-8000-00000000000a'::uuid
                 else '00000000-0000-4000-8000-00000000000b'::uuid end),
    c.stmt),
  c.expected, c.label)
from mb_cases as c
order by c.n;

-- Storage object names
create temp table st_cases (n int, name text, bucket text, expected text, label text);
insert into st_cases values
  (1, '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/ok.png', 'music-video-moodboards',
   'ok:1', 'a plain name in one''s own folder is accepted'),
  (2, '00000000-0000-4000-8000-0000000000a1/../00000000-0000-4000-8000-0000000000b1/x.png', 'music-video-moodboards',
   'denied', '<mine>/../<theirs>/x.png is refused'),
  (3, '00000000-0000-4000-8000-0000000000a1/%2e%2e/00000000-0000-4000-8000-0000000000b1/x.png', 'music-video-moodboards',
   'denied', '<mine>/%2e%2e/<theirs>/x.png is refused'),
  (4, '00000000-0000-4000-8000-0000000000a1/%2E%2E/00000000-0000-4000-8000-0000000000b1/x.png', 'music-video-moodboards',
   'denied', '<mine>/%2E%2E/<theirs>/x.png is refused'),
  (5, '00000000-0000-4000-8000-0000000000a1/./x.png', 'music-video-moodboards', 'denied', '"." segments are refused'),
  (6, '00000000-0000-4000-8000-0000000000a1//x.png', 'music-video-moodboards', 'denied', 'empty segments are refused'),
  (7, '00000000-0000-4000-8000-0000000000a1/../00000000-0000-4000-8000-0000000000b1/w.csv', 'music-video-broadcast-imports',
   'denied', 'the broadcast bucket refuses .. as well');

select is(
  tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
    format('insert into storage.objects (bucket_id, name) values (%L, %L)', s.bucket, s.name)),
  s.expected, s.label)
from st_cases as s
order by s.n;

select results_eq(
  $$select file_size_limit, allowed_mime_types from storage.buckets where id = 'music-video-moodboards'$$,
  $$values (10485760::bigint, array['image/jpeg', 'image/png'])$$,
  'the moodboard bucket: 10 MB, PNG and JPEG');
select is(private.storage_name_safe('a/%2e./b'), false, 'a half-encoded dot segment is unsafe');

select * from finish();
rollback;
