-- list_music_videos(): access (owner, stranger, anon, service role), cards, counts, filters,
-- keyset pages and argument errors.
begin;
select plan(16);

insert into auth.users (id, email) values
  ('16000000-0000-0000-0000-000000000001', 'owner16@example.test'),
  ('16000000-0000-0000-0000-000000000002', 'stranger16@example.test');
insert into public.releases (id, user_id, title) values
  ('16000000-0000-0000-0000-0000000000aa', '16000000-0000-0000-0000-000000000001', 'Sixteen');
insert into public.music_videos (id, release_id, title, slug, status, created_at, video_theme_id)
select
  ('16000000-0000-0000-0000-1000000000' || lpad(g::text, 2, '0'))::uuid,
  '16000000-0000-0000-0000-0000000000aa', 'Clip ' || g, 'clip-' || g,
  (array['draft', 'planned', 'released'])[1 + g % 3]::public.video_status_enum,
  timestamptz '2026-11-01 12:00+00' + (g / 4) * interval '1 hour',
  (select t.id from public.music_video_themes as t where t.name = 'Dreamscape')
from generate_series(1, 10) as g;
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at, deleted_at)
values
  ('16000000-0000-0000-0000-100000000001', 'youtube', 10, '2026-11-10', null),
  ('16000000-0000-0000-0000-100000000001', 'youtube', 99, '2026-11-11', '2026-11-12');
-- The card-metric summaries are refreshed at commit; this file never commits, so flush now.
set constraints all immediate;

select is(
  (select provolatile::text from pg_proc
   where oid = 'public.list_music_videos(text, text[], text, text, integer)'::regprocedure),
  's', 'list_music_videos is stable (GET)'
);

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa')$$,
  '42501', 'permission denied for function list_music_videos', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "16000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa')$$,
  'PT404', 'Release not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "16000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000ff')$$,
  'PT404', 'Release not found', 'a release that does not exist gets the same PT404'
);

create temp table first_page on commit drop as
select public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', page_size => 4)::jsonb as b;
select is(jsonb_array_length((select b -> 'items' from first_page)), 4, 'a page holds page_size cards');
select is(
  (select b -> 'counts' from first_page),
  '{"draft": 3, "planned": 4, "released": 3, "in_production": 0, "post_production": 0,
    "archived": 0, "total": 10}'::jsonb,
  'counts per status, zeros included'
);
select is((select b -> 'items' -> 0 -> 'theme' ->> 'name' from first_page), 'Dreamscape', 'cards carry the theme name');
select is(
  (select b -> 'items' -> 0 ->> 'id' from first_page), '16000000-0000-0000-0000-100000000010',
  'newest first, the highest id first among ties'
);
select isnt((select b ->> 'next_cursor' from first_page), null, 'a full page has a next cursor');

create temp table walked on commit drop as
with recursive pages (n, body) as (
  select 1, public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', page_size => 3)::jsonb
  union all
  select n + 1, public.list_music_videos(
    release_id => '16000000-0000-0000-0000-0000000000aa', page_size => 3, cursor => body ->> 'next_cursor')::jsonb
  from pages where body ->> 'next_cursor' is not null
)
select n, item ->> 'id' as id from pages, jsonb_array_elements(body -> 'items') as item;
select is((select count(distinct id)::int from walked), 10, 'walking the pages sees all ten videos');
select is((select count(*)::int from walked), 10, 'and none twice');

select is(
  (select item -> 'metrics' -> 'views_by_platform'
   from jsonb_array_elements(public.list_music_videos(
     release_id => '16000000-0000-0000-0000-0000000000aa', search => 'clip-1', status => '{draft,planned}'
   )::jsonb -> 'items') as item
   where item ->> 'id' = '16000000-0000-0000-0000-100000000001'),
  '{"youtube": 10}'::jsonb, 'latest views skip the soft-deleted row'
);
select is(
  jsonb_array_length(public.list_music_videos(
    release_id => '16000000-0000-0000-0000-0000000000aa', status => '{released}', search => 'CLIP')::jsonb -> 'items'),
  3, 'status filter and case-insensitive search combine'
);
select throws_ok(
  $$select public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', status => '{later}')$$,
  '22023', 'Unknown status filter', 'an unknown status is refused'
);
select throws_ok(
  $$select public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', cursor => 'x')$$,
  '22023', 'Invalid page cursor', 'a forged cursor is refused'
);

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa') -> 'counts' ->> 'total'),
  '10', 'the service role lists any release'
);

reset role;
select * from finish();
rollback;
