-- assign_music_video_cast, update_music_video_cast_assignment, set_music_video_platform_targets:
-- cost totals, availability conflicts (warn on a draft, block on a plan), YouTube ids, access.
begin;
select plan(17);

insert into auth.users (id, email) values
  ('14000000-0000-0000-0000-000000000001', 'owner14@example.test'),
  ('14000000-0000-0000-0000-000000000002', 'other14@example.test');
insert into public.releases (id, user_id, title) values
  ('14000000-0000-0000-0000-0000000000aa', '14000000-0000-0000-0000-000000000001', 'Fourteen');
-- a planned, valid video (Micro band 1000..5000) and a draft, both shooting in 20..21 days
insert into public.music_videos (id, release_id, title, slug, status, video_theme_id, art_style_id, budget_band_id,
  quality_tier, target_release_date, shoot_start_date, shoot_end_date)
select v.id, '14000000-0000-0000-0000-0000000000aa', v.title, v.slug, v.status::public.video_status_enum,
  (select id from public.music_video_themes where name = 'Dreamscape'),
  (select id from public.music_video_art_styles where name = 'Pastel Pop'),
  (select id from public.music_video_budgets where name = 'Micro'),
  'indie', current_date + 90, current_date + 20, current_date + 21
from (values ('14000000-0000-0000-0000-100000000001'::uuid, 'Planned', 'planned', 'planned'),
             ('14000000-0000-0000-0000-100000000002'::uuid, 'Draft', null, 'draft')) as v (id, title, slug, status);
insert into public.music_video_budget_line_items (music_video_id, category, amount) values
  ('14000000-0000-0000-0000-100000000001', 'direction', 4000);
insert into public.music_video_platform_targets (music_video_id, platform) values
  ('14000000-0000-0000-0000-100000000001', 'youtube');
update public.music_video_cast_options
set availability = jsonb_build_object('unavailable', jsonb_build_array(
  jsonb_build_object('from', current_date + 21, 'to', current_date + 25, 'reason', 'tour')))
where name = 'Jordan Blake';
create temp table ids14 on commit drop as
select
  (select id::text from public.music_video_cast_options where name = 'Jordan Blake') as jordan,
  (select id::text from public.music_video_cast_options where name = 'Northlight Colour') as northlight;
grant select on ids14 to authenticated;
create temp table out14 (k text primary key, v jsonb) on commit drop;
grant all on out14 to authenticated;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "14000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);

insert into out14 select 'assign', public.assign_music_video_cast(
  music_video_id => '14000000-0000-0000-0000-100000000001', cast_option_id => northlight, cost_estimate => '2000')
from ids14;
select is((select v -> 'budget' -> 'cast_cost_total' from out14 where k = 'assign'), '1800',
  'the new cast cost total: 2000 * 0.90');
select is((select v -> 'budget' -> 'projected_total' from out14 where k = 'assign'), '5800',
  'projected total with cast costs');
select is((select v -> 'warnings' -> 0 ->> 'code' from out14 where k = 'assign'), 'cast_cost_over_band',
  'over the band''s max_cost with cast costs: a warning, not an error');
select throws_ok(
  format($$select public.assign_music_video_cast(music_video_id => '14000000-0000-0000-0000-100000000001',
    cast_option_id => %L)$$, (select northlight from ids14)),
  'PT409', 'Northlight Colour (colourist) is already assigned to this video.', 'assigning twice is a PT409');
select throws_ok(
  format($$select public.assign_music_video_cast(music_video_id => '14000000-0000-0000-0000-100000000001',
    cast_option_id => %L)$$, (select jordan from ids14)),
  'PT422', format('The plan has 1 problem: Jordan Blake (choreographer) is unavailable from %s to %s (tour), during the shoot (%s to %s).',
    current_date + 21, current_date + 25, current_date + 20, current_date + 21),
  'an unavailable option blocks a planned video, naming the dates');
insert into out14 select 'draft', public.assign_music_video_cast(
  music_video_id => '14000000-0000-0000-0000-100000000002', cast_option_id => jordan)
from ids14;
select is((select v -> 'availability_conflicts' -> 0 ->> 'kind' from out14 where k = 'draft'), 'unavailable',
  'on a draft the conflict is reported, not raised');

insert into out14 select 'confirm', public.update_music_video_cast_assignment(
  music_video_id => '14000000-0000-0000-0000-100000000001',
  assignment_id => (select v -> 'assignment' ->> 'id' from out14 where k = 'assign'),
  patch => '{"confirmed": true, "cost_estimate": 1000}');
select is((select v -> 'assignment' -> 'confirmed' from out14 where k = 'confirm'), 'true', 'confirm an assignment');
select is((select v -> 'budget' -> 'cast_cost_total' from out14 where k = 'confirm'), '900', 'change its cost');
select throws_ok(
  $$select public.update_music_video_cast_assignment(music_video_id => '14000000-0000-0000-0000-100000000001',
    assignment_id => '14000000-0000-0000-0000-999999999999', remove => 'true')$$,
  'PT404', 'Cast assignment not found', 'an unknown assignment is a PT404');
select is(
  public.update_music_video_cast_assignment(music_video_id => '14000000-0000-0000-0000-100000000001',
    assignment_id => (select v -> 'assignment' ->> 'id' from out14 where k = 'assign'), remove => 'true')
  -> 'cast_assignments', '[]', 'remove an assignment');

select is(
  (public.set_music_video_platform_targets(music_video_id => '14000000-0000-0000-0000-100000000001',
    targets => '[{"platform": "youtube", "launch_url": "https://www.youtube.com/shorts/dQw4w9WgXcQ?feature=share"},
                 {"platform": "regional_tv"}]', sync_strategy => 'scheduled')).platform_targets -> 0 ->> 'external_id',
  'dQw4w9WgXcQ', 'the YouTube id is parsed from the launch URL');
select is(
  (select sync_strategy::text from public.music_videos where id = '14000000-0000-0000-0000-100000000001'),
  'scheduled', 'the sync strategy is set in the same call');
select throws_ok(
  $$select public.set_music_video_platform_targets(music_video_id => '14000000-0000-0000-0000-100000000001',
    targets => '[{"platform": "mtv"}]')$$,
  'PT422', 'The plan has 1 problem: YouTube is required among the platforms (metrics come from it) unless the video is promo only.',
  'a planned video keeps YouTube');
select throws_ok(
  $$select public.set_music_video_platform_targets(music_video_id => '14000000-0000-0000-0000-100000000001',
    targets => '[{"platform": "youtube", "launch_url": "https://vimeo.com/1"}]')$$,
  'PT422', null, 'a launch URL without a YouTube video is refused');
select is(
  (select count(*)::int from public.music_video_platform_targets
   where music_video_id = '14000000-0000-0000-0000-100000000001'),
  2, 'refused calls change nothing');

select set_config('request.jwt.claims', '{"sub": "14000000-0000-0000-0000-000000000002", "role": "authenticated"}', true);
select throws_ok(
  format($$select public.assign_music_video_cast(music_video_id => '14000000-0000-0000-0000-100000000001',
    cast_option_id => %L)$$, (select northlight from ids14)),
  'PT404', 'Music video not found', 'another user cannot assign cast');
select throws_ok(
  $$select public.set_music_video_platform_targets(music_video_id => '14000000-0000-0000-0000-100000000001',
    targets => '[]')$$,
  'PT404', 'Music video not found', 'nor set platform targets');

select * from finish();
rollback;
