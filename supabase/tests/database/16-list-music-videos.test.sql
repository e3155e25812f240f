-- list_music_videos(): access (owner, stranger, anon, service role), cards, counts, filters,
-- keyset pages and argument errors.
begin;
select plan(17);

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
   where oid = 'public.list_music_videos(text, public.video_status_enum[], text, text, integer)'::regprocedure),
  's', 'list_music_videos is stable (GET)'
);
select is(
  pg_get_function_result('public.list_music_videos'::regproc), 'SETOF music_video_card',
  'list_music_videos returns typed card rows'
);

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select * from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa')$$,
  '42501', 'permission denied for function list_music_videos', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "16000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa')$$,
  'PT404', 'Release not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "16000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000ff')$$,
  'PT404', 'Release not found', 'a release that does not exist gets the same PT404'
);

create temp table first_page on commit drop as
select row_number() over () as n, c.*
from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', page_size => 4) as c;
select is((select count(*)::int from first_page), 4, 'a page holds page_size cards');
select is(
  (select array_agg(array[sc.status::text, sc.videos::text])
   from public.music_video_status_counts('16000000-0000-0000-0000-0000000000aa') as sc),
  array[['draft', '3'], ['planned', '4'], ['in_production', '0'], ['post_production', '0'], ['released', '3'],
        ['archived', '0']],
  'counts per status, zeros included, in the enum order'
);
select is((select theme_name from first_page where n = 1), 'Dreamscape', 'cards carry the theme name');
select is(
  (select id::text from first_page where n = 1), '16000000-0000-0000-0000-100000000010',
  'newest first, the highest id first among ties'
);
select ok(
  (select next_cursor is not null from first_page where n = 4)
  and (select count(*) = 0 from first_page where n < 4 and next_cursor is not null),
  'a full page has a next cursor on its last row only'
);

create temp table walked on commit drop as
with recursive pages (n, cursor) as (
  select 1, null::text
  union all
  select p.n + 1, (
    select c.next_cursor from public.list_music_videos(
      release_id => '16000000-0000-0000-0000-0000000000aa', page_size => 3, cursor => p.cursor) as c
    where c.next_cursor is not null)
  from pages as p where p.n = 1 or p.cursor is not null
)
select p.n, c.id
from pages as p
cross join lateral public.list_music_videos(
  release_id => '16000000-0000-0000-0000-0000000000aa', page_size => 3, cursor => p.cursor) as c
where p.n = 1 or p.cursor is not null;
select is((select count(distinct id)::int from walked), 10, 'walking the pages sees all ten videos');
select is((select count(*)::int from walked), 10, 'and none twice');

select is(
  (select c.views_by_platform
   from public.list_music_videos(
     release_id => '16000000-0000-0000-0000-0000000000aa', search => 'clip-1', status => '{draft,planned}'
   ) as c
   where c.id = '16000000-0000-0000-0000-100000000001'),
  '{"youtube": 10}'::jsonb, 'latest views skip the soft-deleted row'
);
select is(
  (select count(*)::int from public.list_music_videos(
    release_id => '16000000-0000-0000-0000-0000000000aa', status => '{released}', search => 'CLIP')),
  3, 'status filter and case-insensitive search combine'
);
select throws_ok(
  $$select * from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', status => '{later}')$$,
  '22P02', null, 'an unknown status is refused by the parameter type'
);
select throws_ok(
  $$select * from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa', cursor => 'x')$$,
  '22023',
  'Invalid page cursor: pass the next_cursor of the previous page unchanged, or omit it for the first page.',
  'a forged cursor is refused'
);

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (select count(*)::int from public.list_music_videos(release_id => '16000000-0000-0000-0000-0000000000aa')),
  10, 'the service role lists any release'
);

reset role;
select * from finish();
rollback;
