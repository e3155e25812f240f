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
  $$select public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa')$$,
  '42501', 'permission denied for function music_video_concept_suggestions', 'anon gets permission denied'
);

set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "19000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa')$$,
  'PT404', 'Release not found', 'another user gets PT404'
);

select set_config('request.jwt.claims',
  '{"sub": "19000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
create temp table s on commit drop as
select public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa') as b;
select is((select b -> 'genres' from s), '["Country"]'::jsonb, 'the release genre is echoed');
select is(
  (select b -> 'suggestions' -> 0 -> 'theme' ->> 'name' from s), 'Road Trip Americana',
  'the theme tagged country comes first'
);
select is((select (b -> 'suggestions' -> 0 ->> 'score')::int from s), 3, 'a whole-genre match scores 3');
select is(jsonb_array_length((select b -> 'suggestions' from s)), 12, 'twelve suggestions by default');

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  public.music_video_concept_suggestions(release_id => '19000000-0000-0000-0000-0000000000aa', max_results => 3)
    -> 'suggestions' -> 0 -> 'theme' ->> 'name',
  'Road Trip Americana', 'the service role gets the same ranking'
);

reset role;
select * from finish();
rollback;
