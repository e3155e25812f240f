-- music_video_metrics_history(): access, grouping and order, soft-deleted rows, filters, pages.
begin;
select plan(11);

insert into auth.users (id, email) values
  ('17000000-0000-0000-0000-000000000001', 'owner17@example.test'),
  ('17000000-0000-0000-0000-000000000002', 'stranger17@example.test');
insert into public.releases (id, user_id, title) values
  ('17000000-0000-0000-0000-0000000000aa', '17000000-0000-0000-0000-000000000001', 'Seventeen');
insert into public.music_videos (id, release_id, title) values
  ('17000000-0000-0000-0000-0000000000b1', '17000000-0000-0000-0000-0000000000aa', 'History');
insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at, deleted_at)
select '17000000-0000-0000-0000-0000000000b1', p::public.platform_enum, d,
  timestamptz '2026-10-01 00:00+00' + d * interval '1 day',
  case when p = 'youtube' and d = 5 then now() end
from unnest(array['youtube', 'regional_tv']) as p, generate_series(1, 6) as d;

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1')$$,
  '42501', 'permission denied for function music_video_metrics_history', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "17000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1')$$,
  'PT404', 'Music video not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "17000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000ff')$$,
  'PT404', 'Music video not found', 'a video that does not exist gets the same PT404'
);

create temp table h on commit drop as
select public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1') as b;
select is((select b ->> 'count' from h), '11', 'eleven live rows (one soft-deleted row excluded)');
select is(
  (select array_agg(g ->> 'platform' order by o) from h, jsonb_array_elements(b -> 'groups') with ordinality as x (g, o)),
  array['youtube', 'regional_tv'], 'grouped by platform in enum order'
);
select is(
  (select array_agg((r ->> 'views_total')::int order by o)
   from h, jsonb_array_elements(b -> 'groups' -> 0 -> 'rows') with ordinality as x (r, o)),
  array[6, 4, 3, 2, 1], 'newest first within a platform, without the soft-deleted row'
);
select is(
  (public.music_video_metrics_history(
    id => '17000000-0000-0000-0000-0000000000b1', platforms => '{regional_tv}',
    collected_from => '2026-10-03', collected_to => '2026-10-05') ->> 'count'),
  '3', 'platform and inclusive date range filters'
);

create temp table walked on commit drop as
with recursive pages (n, body) as (
  select 1, public.music_video_metrics_history(
    id => '17000000-0000-0000-0000-0000000000b1', page_size => 4)
  union all
  select n + 1, public.music_video_metrics_history(
    id => '17000000-0000-0000-0000-0000000000b1', page_size => 4, cursor => body ->> 'next_cursor')
  from pages where body ->> 'next_cursor' is not null
)
select n, r ->> 'id' as id
from pages, jsonb_array_elements(body -> 'groups') as g, jsonb_array_elements(g -> 'rows') as r;
select is((select count(distinct id)::int from walked), 11, 'pages of four see every row');
select is((select count(*)::int from walked), 11, 'and none twice');
select throws_ok(
  $$select public.music_video_metrics_history(
    id => '17000000-0000-0000-0000-0000000000b1', platforms => '{myspace}')$$,
  '22023', 'Unknown platform filter', 'an unknown platform is refused'
);

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1') ->> 'count'),
  '11', 'the service role reads any video''s history'
);

reset role;
select * from finish();
rollback;
