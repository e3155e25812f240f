-- Spec 4.3's plan rules hold on the table endpoints past draft (20261130150200): a direct
-- PATCH/POST/DELETE on music_videos and its line items, cast and platform targets that breaks a
-- rule is refused at commit with the RPCs' PT422 {"problems": [...]}; a multi-statement edit is
-- judged on its end state; drafts and the service role are not judged.
-- pg_temp.outcome runs a request as PostgREST does (tests.try_as) and then forces the deferred
-- commit-time triggers to fire (set constraints all immediate), answering 'ok:0', 'denied' or
-- '<sqlstate> <field:code,...>' from the error's detail.problems.
begin;
select plan(14);
\ir 00-helpers.sql

create function pg_temp.outcome(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  v_state text;
  v_detail text;
begin
  return tests.try_as(p_role, p_claims, p_sql || '; set constraints all immediate');
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail;
  return v_state || coalesce(' ' || (
    select string_agg((p ->> 'field') || ':' || (p ->> 'code'), ',' order by o)
    from jsonb_array_elements(v_detail::jsonb -> 'problems') with ordinality as x (p, o)
    where v_detail like '{%'
  ), '');
end
$$;

-- The helper's video becomes a complete, valid plan (Standard band 25,000..100,000), planned.
update public.music_videos set
  video_theme_id = (select id from public.music_video_themes where name = 'Neon Nights'),
  art_style_id = (select id from public.music_video_art_styles where name = 'Vintage Film'),
  budget_band_id = (select id from public.music_video_budgets where name = 'Standard'),
  quality_tier = 'standard', target_release_date = current_date + 200,
  shoot_start_date = current_date + 100, shoot_end_date = current_date + 102
where id = '00000000-0000-4000-8000-0000000000f1';
update public.music_video_budget_line_items set amount = 50000 where id = '00000000-0000-4000-8000-000000000101';
update public.music_videos set status = 'planned' where id = '00000000-0000-4000-8000-0000000000f1';
-- A draft of the same release.
insert into public.music_videos (id, release_id, title) values
  ('00000000-0000-4000-8000-0000000000f2', '00000000-0000-4000-8000-0000000000a1', 'Draft');
insert into public.music_video_platform_targets (music_video_id, platform) values
  ('00000000-0000-4000-8000-0000000000f2', 'youtube');

create temp table owner_claims as select tests.claims('00000000-0000-4000-8000-00000000000a') as c;
grant select on owner_claims to authenticated, service_role;

select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$update public.music_videos set narrative_outline = 'still valid' where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'ok:0', 'a valid PATCH on a planned video commits');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$update public.music_video_budget_line_items set amount = 2000000000 where id = '00000000-0000-4000-8000-000000000101'$q$),
  'PT422 line_items:budget_over_contingency',
  'PATCH of a line item to 2,000,000,000 on a planned video: PT422 with the problems list');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$insert into public.music_video_budget_line_items (music_video_id, category, amount) values ('00000000-0000-4000-8000-0000000000f1', 'post', 2000000000)$q$),
  'PT422 line_items:budget_over_contingency', 'POST of a line item over the band: PT422');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$delete from public.music_video_platform_targets where music_video_id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'PT422 platform_targets:required', 'DELETE of every platform target: PT422');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$update public.music_video_platform_targets set platform = 'mtv' where music_video_id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'PT422 platform_targets:youtube_required', 'PATCH that drops YouTube: PT422');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$update public.music_videos set shoot_end_date = current_date + 90 where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'PT422 shoot_end_date:before_start', 'PATCH of the shoot end before its start: PT422');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$update public.music_videos set shoot_start_date = current_date - 5 where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'PT422 shoot_start_date:in_past', 'PATCH of a planned shoot start into the past: PT422, as in update_music_video');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$update public.music_videos set budget_band_id = null, title = null where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  'PT422 title:required,budget_band_id:required', 'every problem at once, in the RPCs'' order');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$delete from public.music_video_platform_targets where music_video_id = '00000000-0000-4000-8000-0000000000f1';
       insert into public.music_video_platform_targets (music_video_id, platform) values ('00000000-0000-4000-8000-0000000000f1', 'youtube')$q$),
  'ok:0', 'a multi-statement edit is judged on its end state (no target in between is fine)');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$select public.set_music_video_platform_targets(music_video_id => '00000000-0000-4000-8000-0000000000f1', targets => '[{"platform": "youtube"}, {"platform": "mtv"}]')$q$),
  'ok:0', 'the platform RPC (delete + insert on a planned video) passes the same commit check');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$select public.update_music_video(id => '00000000-0000-4000-8000-0000000000f1', patch => '{"line_items": [{"category": "direction", "amount": 2000000000}]}')$q$),
  'PT422 line_items:budget_over_contingency', 'the RPC answers the same problems');
select is(
  pg_temp.outcome('authenticated', (select c from owner_claims),
    $q$delete from public.music_video_platform_targets where music_video_id = '00000000-0000-4000-8000-0000000000f2';
       update public.music_videos set shoot_end_date = '2020-01-01', shoot_start_date = '2020-02-01' where id = '00000000-0000-4000-8000-0000000000f2'$q$),
  'ok:0', 'a draft is not judged (drafts may be incomplete)');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}',
    $q$update public.music_video_budget_line_items set amount = 2000000000 where id = '00000000-0000-4000-8000-000000000101'$q$),
  'ok:0', 'the service role is trusted (bulk fixes are not judged)');
select is(
  (select count(*)::int from private.music_video_plan_checks), 0, 'no pending check is left behind');

select * from finish();
rollback;
