-- create_music_video, update_music_video, save_music_video_draft, submit_music_video and
-- get_music_video: who may call them, how they are defined, and their answers.
begin;
select plan(28);

-- Definitions: security invoker, pinned search_path, callable by authenticated and the service
-- role (operators and services act as it; it bypasses RLS), never by anon.
select is(
  (select count(*)::int from pg_proc as p
   where p.pronamespace = 'public'::regnamespace
     and p.proname in ('create_music_video', 'update_music_video', 'save_music_video_draft', 'submit_music_video',
                       'get_music_video', 'assign_music_video_cast', 'update_music_video_cast_assignment',
                       'set_music_video_platform_targets')
     and not p.prosecdef and p.proconfig @> array['search_path=""']),
  8, 'the eight plan RPCs are security invoker with search_path pinned');
select is(
  (select array_agg(distinct r.rolname::text order by r.rolname::text)
   from pg_proc as p
   cross join (values ('anon'), ('authenticated'), ('service_role')) as r (rolname)
   where p.pronamespace = 'public'::regnamespace
     and p.proname in ('create_music_video', 'update_music_video', 'save_music_video_draft', 'submit_music_video',
                       'get_music_video', 'assign_music_video_cast', 'update_music_video_cast_assignment',
                       'set_music_video_platform_targets')
     and has_function_privilege(r.rolname, p.oid, 'execute')),
  array['authenticated', 'service_role'], 'only authenticated and the service role may execute them');
select is(
  (select count(*)::int from pg_proc as p
   where p.pronamespace = 'private'::regnamespace and p.proname like 'music_video%'
     and has_function_privilege('anon', p.oid, 'execute')),
  0, 'anon executes none of the private plan helpers');

insert into auth.users (id, email) values
  ('13000000-0000-0000-0000-000000000001', 'owner13@example.test'),
  ('13000000-0000-0000-0000-000000000002', 'other13@example.test');
insert into public.releases (id, user_id, title) values
  ('13000000-0000-0000-0000-0000000000aa', '13000000-0000-0000-0000-000000000001', 'Thirteen');

create temp table plan13 on commit drop as
select
  (select id::text from public.music_video_themes where name = 'Dreamscape') as theme,
  (select id::text from public.music_video_art_styles where name = 'Pastel Pop') as style,
  (select id::text from public.music_video_budgets where name = 'Indie') as band,
  current_date + 30 as shoot_start,
  current_date + 120 as release_date;
grant select on plan13 to authenticated;
create temp table out13 (k text primary key, v jsonb) on commit drop;
grant all on out13 to authenticated, service_role;

set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select throws_ok(
  $$select public.create_music_video(release_id => '13000000-0000-0000-0000-0000000000aa', title => 'x', video_theme_id => null, art_style_id => null, budget_band_id => null, quality_tier => null,
    target_release_date => null, platform_targets => null)$$,
  '42501', 'permission denied for function create_music_video', 'anon cannot create');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "13000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  $$select public.create_music_video(release_id => '13000000-0000-0000-0000-0000000000aa', title => 'x', video_theme_id => null, art_style_id => null, budget_band_id => null, quality_tier => null,
    target_release_date => null, platform_targets => null)$$,
  'PT404', 'Release not found', 'another user''s release is a PT404');

select set_config('request.jwt.claims', '{"sub": "13000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select public.create_music_video(release_id => 'not-a-uuid', title => null, video_theme_id => null, art_style_id => null, budget_band_id => null, quality_tier => null,
    target_release_date => null, platform_targets => null)$$,
  'PT404', 'Release not found', 'a malformed release id is the same PT404');
select throws_ok(
  $$select public.create_music_video(release_id => '13000000-0000-0000-0000-0000000000aa', title => 'Only a title', video_theme_id => null, art_style_id => null, budget_band_id => null, quality_tier => null,
    target_release_date => null, platform_targets => null)$$,
  'PT422', null, 'an incomplete plan is a PT422');
select is(
  (select count(*)::int from public.music_videos where release_id = '13000000-0000-0000-0000-0000000000aa'),
  0, '... that leaves nothing behind');

insert into out13
select 'created', to_jsonb(public.create_music_video(
  release_id => '13000000-0000-0000-0000-0000000000aa', title => 'Thirteen Ways', video_theme_id => p.theme,
  art_style_id => p.style, budget_band_id => p.band, quality_tier => 'indie', target_release_date => p.release_date,
  shoot_start_date => p.shoot_start, kpi_view_target => '250000',
  line_items => '{"direction": 6000, "post": 4000}',
  platform_targets => '[{"platform": "youtube", "launch_url": "https://youtu.be/dQw4w9WgXcQ"}, {"platform": "tiktok"}]'))
from plan13 as p;
select is((select v ->> 'status' from out13 where k = 'created'), 'planned', 'a complete plan is created as planned');
select is((select v ->> 'slug' from out13 where k = 'created'), 'thirteen-ways', 'its slug comes from the title');
select is((select v -> 'budget' -> 'allocation_total' from out13 where k = 'created'), '10000', 'with its line items');
select is((select jsonb_array_length(v -> 'platform_targets') from out13 where k = 'created'), 2, 'and its targets');
select throws_ok(
  format($$select public.create_music_video(release_id => '13000000-0000-0000-0000-0000000000aa', slug => 'thirteen-ways',
    title => 'Again', video_theme_id => %L, art_style_id => %L, budget_band_id => %L, quality_tier => 'indie',
    target_release_date => %L, line_items => '{"direction": 6000}', platform_targets => '[{"platform": "youtube"}]')$$,
    (select theme from plan13), (select style from plan13), (select band from plan13), (select release_date from plan13)),
  'PT409', 'A video with slug "thirteen-ways" already exists for this release.', 'a taken slug is a PT409');

select is(
  (select g.title from public.get_music_video((select v ->> 'id' from out13 where k = 'created')) as g), 'Thirteen Ways',
  'get_music_video returns the plan');
select is(
  (public.update_music_video((select v ->> 'id' from out13 where k = 'created'),
    '{"status": "in_production", "kpi_view_target": 0}')).status::text,
  'in_production', 'update moves one lane');
select throws_ok(
  format($$select public.update_music_video(%L, '{"status": "draft"}')$$, (select v ->> 'id' from out13 where k = 'created')),
  'PT422', null, 'update cannot jump two lanes back');
select throws_ok(
  format($$select public.update_music_video(%L, '{"kpi_view_target": -1}')$$, (select v ->> 'id' from out13 where k = 'created')),
  'PT422', 'The plan has 1 problem: The view target must be 0 or more.', 'KPI targets are non-negative');

-- Drafts.
insert into out13 select 'draft', to_jsonb(public.save_music_video_draft(
  release_id => '13000000-0000-0000-0000-0000000000aa', wizard_step => 'concept',
  wizard_state => '{"title": "Half"}', patch => format('{"title": "Half Done", "shoot_start_date": "%s"}',
    current_date - 30)::jsonb));
select is((select v ->> 'status' from out13 where k = 'draft'), 'draft', 'a draft is saved');
select is((select v ->> 'shoot_start_date' from out13 where k = 'draft'), (current_date - 30)::text,
  'a draft may have past dates');
select is((select v ->> 'slug' from out13 where k = 'draft'), null, 'a draft gets its slug at submit');
select throws_ok(
  format($$select public.submit_music_video(%L)$$, (select v ->> 'id' from out13 where k = 'draft')),
  'PT422', null, 'submitting an incomplete draft is refused');
select lives_ok(
  format($$select public.save_music_video_draft(id => %L, patch => %L)$$, (select v ->> 'id' from out13 where k = 'draft'),
    (select jsonb_build_object('video_theme_id', theme, 'art_style_id', style, 'budget_band_id', band,
      'quality_tier', 'indie', 'target_release_date', release_date, 'shoot_start_date', shoot_start,
      'line_items', '{"direction": 5000}'::jsonb, 'platform_targets', '[{"platform": "youtube"}]'::jsonb)
     from plan13)),
  'the draft is completed');
select is(
  (public.submit_music_video((select v ->> 'id' from out13 where k = 'draft'))).slug, 'half-done',
  'submitting it plans it and generates the slug');
select throws_ok(
  format($$select public.submit_music_video(%L)$$, (select v ->> 'id' from out13 where k = 'draft')),
  'PT409', 'Only a draft can be submitted; this video is already planned.', 'a second submit is a PT409');

select set_config('request.jwt.claims', '{"sub": "13000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  format($$select public.get_music_video(%L)$$, (select v ->> 'id' from out13 where k = 'created')),
  'PT404', 'Music video not found', 'another user cannot read the plan');
select throws_ok(
  format($$select public.update_music_video(%L, '{"title": "mine"}')$$, (select v ->> 'id' from out13 where k = 'created')),
  'PT404', 'Music video not found', 'nor change it');

set local role service_role;
select set_config('request.jwt.claims', '{"role": "service_role"}', true);
select is(
  (select g.id::text from public.get_music_video((select v ->> 'id' from out13 where k = 'created')) as g),
  (select v ->> 'id' from out13 where k = 'created'), 'the service role reads any user''s plan');
select throws_ok(
  $$select public.get_music_video('13000000-0000-0000-0000-100000000001')$$,
  'PT404', 'Music video not found', 'a missing video is still a PT404 for the service role');

select * from finish();
rollback;
