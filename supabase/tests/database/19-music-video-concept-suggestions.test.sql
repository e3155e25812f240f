-- music_video_concept_suggestions(): access and ranking by the release's genre.
begin;
select plan(7);

insert into auth.users (id, email) values
  ('19000000-0000-0000-0000-000000000001', 'owner19@example.test'),
  ('19000000-0000-0000-0000-000000000002', 'stranger19@example.test');
insert into public.releases (id, user_id, title) values
  ('19000000-0000-0000-0000-0000000000aa', '19000000-0000-0000-0000-000000000001', 'Nineteen');
insert into public.release_profiles (release_id, genre) values
  ('19000000-0000-0000-0000-0000000000aa', 'Country');

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select * from public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa')$$,
  '42501', 'permission denied for function music_video_concept_suggestions', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "19000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select * from public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa')$$,
  'PT404', 'Release not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "19000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
create temp table s on commit drop as
select * from public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa');
select is((select distinct release_genres from s), array['Country'], 'the release genre is on every row');
select is(
  (select theme_name from s where suggestion_rank = 1), 'Road Trip Americana',
  'the theme tagged country comes first'
);
select is((select score from s where suggestion_rank = 1), 3, 'a whole-genre match scores 3');
select is((select count(*)::int from s), 12, 'twelve suggestions by default');

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (select theme_name from public.music_video_concept_suggestions(
    release_id => '19000000-0000-0000-0000-0000000000aa', max_results => 3) where suggestion_rank = 1),
  'Road Trip Americana', 'the service role gets the same ranking'
);

reset role;
select * from finish();
rollback;
