-- private.music_video_plan_check (spec 4.3): every rule in its allowed and refused case, budget
-- warnings returned (never raised), availability conflicts, and raise_plan_problems' codes.
begin;
select plan(24);

insert into auth.users (id, email) values
  ('11000000-0000-0000-0000-000000000001', 'owner11@example.test'),
  ('11000000-0000-0000-0000-000000000002', 'other11@example.test');
insert into public.releases (id, user_id, title) values
  ('11000000-0000-0000-0000-0000000000aa', '11000000-0000-0000-0000-000000000001', 'Eleven'),
  ('11000000-0000-0000-0000-0000000000bb', '11000000-0000-0000-0000-000000000002', 'Other');

-- A complete plan (Standard band 25000..100000) and an empty draft.
insert into public.music_videos (id, release_id, title, video_theme_id, art_style_id, budget_band_id,
  quality_tier, target_release_date, shoot_start_date, shoot_end_date)
select '11000000-0000-0000-0000-100000000001', '11000000-0000-0000-0000-0000000000aa', 'Complete',
  (select id from public.music_video_themes where name = 'Neon Nights'),
  (select id from public.music_video_art_styles where name = 'Vintage Film'),
  (select id from public.music_video_budgets where name = 'Standard'),
  'standard', current_date + 200, current_date + 100, current_date + 102;
insert into public.music_videos (id, release_id) values
  ('11000000-0000-0000-0000-100000000002', '11000000-0000-0000-0000-0000000000aa');
insert into public.music_video_budget_line_items (music_video_id, category, amount) values
  ('11000000-0000-0000-0000-100000000001', 'direction', 50000);
insert into public.music_video_platform_targets (music_video_id, platform) values
  ('11000000-0000-0000-0000-100000000001', 'youtube');

create function pg_temp.codes(p_id uuid, p_at_submit boolean default true) returns text[]
language sql as $$
  select coalesce(array_agg((p ->> 'field') || ':' || (p ->> 'code') order by (p ->> 'field') || ':' || (p ->> 'code')), '{}')
  from jsonb_array_elements(
    private.music_video_plan_check((select v from public.music_videos as v where v.id = p_id), p_at_submit)
    -> 'problems') as p
$$;
create function pg_temp.check(p_id uuid) returns jsonb
language sql as $$
  select private.music_video_plan_check((select v from public.music_videos as v where v.id = p_id), true)
$$;

select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), '{}', 'a complete plan has no problems');
select is(
  pg_temp.codes('11000000-0000-0000-0000-100000000002'),
  array['art_style_id:required', 'budget_band_id:required', 'platform_targets:required', 'quality_tier:required',
        'target_release_date:required', 'title:required', 'video_theme_id:required'],
  'an empty draft lists every required field at once'
);

update public.music_video_platform_targets set platform = 'mtv'
where music_video_id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['platform_targets:youtube_required'],
  'YouTube is required among the platforms');
update public.music_videos set promo_only = true where id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), '{}', '... unless promo only');
update public.music_videos set promo_only = false where id = '11000000-0000-0000-0000-100000000001';
update public.music_video_platform_targets set platform = 'youtube'
where music_video_id = '11000000-0000-0000-0000-100000000001';

update public.music_videos set shoot_end_date = current_date + 99 where id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['shoot_end_date:before_start'],
  'the shoot cannot end before it starts');
update public.music_videos set shoot_start_date = current_date - 1, shoot_end_date = current_date + 1
where id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['shoot_start_date:in_past'],
  'at submit the shoot cannot start in the past');
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001', false), '{}',
  'outside a submit a past shoot start is fine (the plan is under way)');
update public.music_videos set shoot_start_date = current_date, shoot_end_date = current_date
where id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), '{}', 'a shoot starting today is fine');

-- Budget.
update public.music_video_budget_line_items set amount = 24999
where music_video_id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['line_items:budget_below_band'],
  'allocations below the band are refused');
update public.music_video_budget_line_items set amount = 105000
where music_video_id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), '{}', 'max_cost + 5% is still allowed');
select is(
  (select jsonb_agg(w ->> 'code') from jsonb_array_elements(pg_temp.check('11000000-0000-0000-0000-100000000001')
    -> 'warnings') as w),
  '["budget_over_band"]', '... with a warning');
update public.music_video_budget_line_items set amount = 105001
where music_video_id = '11000000-0000-0000-0000-100000000001';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['line_items:budget_over_contingency'],
  'over max_cost + contingency is a hard stop');
update public.music_video_settings set value = '10' where key = 'budget_contingency_pct';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), '{}', 'the contingency is an admin setting');
select is((pg_temp.check('11000000-0000-0000-0000-100000000001') -> 'budget' ->> 'hard_limit')::int, 110000,
  'hard_limit = max_cost * (1 + pct / 100)');
update public.music_video_settings set value = '"lots"' where key = 'budget_contingency_pct';
select is(private.music_video_budget_contingency_pct(), 5::numeric, 'an unreadable setting falls back to 5%');
update public.music_video_budget_line_items set amount = 80000
where music_video_id = '11000000-0000-0000-0000-100000000001';

-- Cast: cost multipliers warn; availability blocks.
insert into public.music_video_cast_assignments (music_video_id, cast_option_id, cost_estimate)
select '11000000-0000-0000-0000-100000000001', id, 20000 from public.music_video_cast_options where name = 'Maya Chen';
select is(
  pg_temp.check('11000000-0000-0000-0000-100000000001') -> 'budget' -> 'projected_total', '110000',
  'projected total = allocations + cost_estimate * cost_multiplier');
select is(
  (select jsonb_agg(w ->> 'code') from jsonb_array_elements(pg_temp.check('11000000-0000-0000-0000-100000000001')
    -> 'warnings') as w),
  '["cast_cost_over_band"]', 'cast multipliers pushing over max_cost warn');
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), '{}', '... and do not block');

update public.music_video_cast_options
set availability = jsonb_build_object('unavailable', jsonb_build_array(
  jsonb_build_object('from', current_date - 3, 'to', current_date, 'reason', 'festival'),
  jsonb_build_object('from', 'garbage'), 'not an object'))
where name = 'Maya Chen';
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['cast_assignments:cast_unavailable'],
  'an option unavailable on a shoot day blocks (malformed entries are skipped)');
select matches(
  pg_temp.check('11000000-0000-0000-0000-100000000001') -> 'problems' -> 0 ->> 'message',
  format('Maya Chen \(director\) is unavailable from %s to %s \(festival\)', current_date - 3, current_date),
  'the message names the unavailable dates');
update public.music_video_cast_options set availability = '{"unavailable": []}' where name = 'Maya Chen';

-- Booked on another owner's overlapping shoot: blocks, without naming that video.
insert into public.music_videos (id, release_id, title, shoot_start_date, shoot_end_date) values
  ('11000000-0000-0000-0000-200000000001', '11000000-0000-0000-0000-0000000000bb', 'Secret Shoot',
   current_date, current_date + 5);
insert into public.music_video_cast_assignments (music_video_id, cast_option_id, confirmed)
select '11000000-0000-0000-0000-200000000001', id, true from public.music_video_cast_options where name = 'Maya Chen';
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "11000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select is(pg_temp.codes('11000000-0000-0000-0000-100000000001'), array['cast_assignments:cast_double_booked'],
  'a confirmed booking on another release''s overlapping shoot blocks');
select ok(
  (pg_temp.check('11000000-0000-0000-0000-100000000001') -> 'problems' -> 0 ->> 'message') like '%another release''s video%'
  and (pg_temp.check('11000000-0000-0000-0000-100000000001')::text) not like '%Secret Shoot%',
  'the other owner''s video is not revealed');
reset role;

select throws_ok(
  $$select private.raise_plan_problems('[{"field": "title", "code": "required", "message": "Give the video a title."}]')$$,
  'PT422', 'The plan has 1 problem: Give the video a title.', 'problems raise PT422 with a counted message');
select throws_ok(
  $$select private.raise_plan_problems('[{"field": "slug", "code": "slug_taken", "message": "A video with slug \"x\" already exists for this release."}]')$$,
  'PT409', 'A video with slug "x" already exists for this release.', 'a taken slug alone is a PT409');

select * from finish();
rollback;
