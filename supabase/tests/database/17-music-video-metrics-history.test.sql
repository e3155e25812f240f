-- music_video_metrics_history(): access, grouping and order, soft-deleted rows, filters, pages.
begin;
select plan(12);

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

select is(
  pg_get_function_result('public.music_video_metrics_history'::regproc), 'SETOF music_video_metric_sample',
  'the history returns typed sample rows'
);

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select * from public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1')$$,
  '42501', 'permission denied for function music_video_metrics_history', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "17000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1')$$,
  'PT404', 'Music video not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "17000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000ff')$$,
  'PT404', 'Music video not found', 'a video that does not exist gets the same PT404'
);

create temp table h on commit drop as
select row_number() over () as o, r.*
from public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1') as r;
select is((select count(*)::int from h), 11, 'eleven live rows (one soft-deleted row excluded)');
select is(
  (select array_agg(distinct platform::text) from h), array['regional_tv', 'youtube'], 'both platforms'
);
select is(
  (select array_agg(views_total::int order by o) from h where platform = 'youtube'),
  array[6, 4, 3, 2, 1], 'platforms in enum order, newest first within a platform, without the soft-deleted row'
);
select is(
  (select count(*)::int from public.music_video_metrics_history(
    id => '17000000-0000-0000-0000-0000000000b1', platforms => '{regional_tv}',
    collected_from => '2026-10-03', collected_to => '2026-10-05')),
  3, 'platform and inclusive date range filters'
);

create temp table walked on commit drop as
with recursive pages (n, cursor) as (
  select 1, null::text
  union all
  select p.n + 1, (
    select r.next_cursor from public.music_video_metrics_history(
      id => '17000000-0000-0000-0000-0000000000b1', page_size => 4, cursor => p.cursor) as r
    where r.next_cursor is not null)
  from pages as p where p.n = 1 or p.cursor is not null
)
select p.n, r.id
from pages as p
cross join lateral public.music_video_metrics_history(
  id => '17000000-0000-0000-0000-0000000000b1', page_size => 4, cursor => p.cursor) as r
where p.n = 1 or p.cursor is not null;
select is((select count(distinct id)::int from walked), 11, 'pages of four see every row');
select is((select count(*)::int from walked), 11, 'and none twice');
select throws_ok(
  $$select * from public.music_video_metrics_history(
    id => '17000000-0000-0000-0000-0000000000b1', platforms => '{myspace}')$$,
  '22P02', null, 'an unknown platform is refused by the parameter type'
);

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (select count(*)::int from public.music_video_metrics_history(id => '17000000-0000-0000-0000-0000000000b1')),
  11, 'the service role reads any video''s history'
);

reset role;
select * from finish();
rollback;
