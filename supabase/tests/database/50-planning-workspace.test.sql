-- The planning workspace (issue "The planning workspace, complete", sections 1, 2, 4, 5):
-- milestones and promo events under RLS for owner, other, admin, anon, service_role; server-set
-- columns; the promo rule and derived kinds on direct table writes; the ordering rules in the
-- one plan check (warning on a draft, problem at submit); the timeline RPC on a fixed day;
-- actuals in the variance view; only drafts deleted, their files queued for Storage.
begin;
select plan(24);
\ir 00-helpers.sql

create function pg_temp.outcome(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  v_state text;
  v_detail text;
begin
  return tests.try_as(p_role, p_claims, p_sql);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail;
  if coalesce(v_detail, '') not like '{%' then
    return v_state;
  end if;
  return v_state || coalesce(' ' || (
    select string_agg((p ->> 'field') || ':' || (p ->> 'code'), ',' order by o)
    from jsonb_array_elements(v_detail::jsonb -> 'problems') with ordinality as x (p, o)
  ), '');
end
$$;

update public.music_videos
set shoot_start_date = '2027-01-10', shoot_end_date = '2027-01-12', target_release_date = '2027-03-01'
where id = '00000000-0000-4000-8000-0000000000f1';
insert into public.music_video_milestones (id, music_video_id, kind, due_date) values
  ('00000000-0000-4000-8000-000000000201', '00000000-0000-4000-8000-0000000000f1', 'edit_lock', '2027-01-11');
insert into public.music_video_promo_events (id, music_video_id, platform, kind, starts_at, time_zone) values
  ('00000000-0000-4000-8000-000000000202', '00000000-0000-4000-8000-0000000000f1', 'tiktok', 'teaser',
   '2027-02-01T12:00:00Z', 'Europe/Paris');

-- RLS, both tables: who reads what
select is(tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  'select * from public.music_video_milestones'), 'ok:2', 'the owner reads the milestones');
select is(tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  'select * from public.music_video_milestones'), 'ok:0', 'another user reads none');
select is(tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000c', true),
  'select * from public.music_video_promo_events'), 'ok:0', 'an admin reads no promo events of others');
select is(tests.try_as('anon', '{"role": "anon"}', 'select * from public.music_video_promo_events'), 'denied',
  'anon may not read promo events');
select is(tests.try_as('service_role', '{"role": "service_role"}', 'select * from public.music_video_promo_events'),
  'ok:2', 'the service role reads everything');
select is(tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  $$update public.music_video_milestones set done = true$$), 'ok:0', 'another user changes nothing');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  $$insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)
    values ('00000000-0000-4000-8000-0000000000f1', 'youtube', 'teaser', '2027-01-01', 'UTC')$$),
  'denied', 'another user cannot schedule promo on the owner''s video (RLS)');

-- server-set columns: done_by/done_at are the caller's and now, whatever the client sends
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
set local role authenticated;
update public.music_video_milestones
set done = true, done_by = '00000000-0000-4000-8000-00000000000b', done_at = '2000-01-01'
where id = '00000000-0000-4000-8000-000000000201';
reset role;
select is((select done_by from public.music_video_milestones where id = '00000000-0000-4000-8000-000000000201'),
  '00000000-0000-4000-8000-00000000000a'::uuid, 'done_by is the caller, not the client''s value');
select ok((select done_at > '2020-01-01' from public.music_video_milestones
  where id = '00000000-0000-4000-8000-000000000201'), 'done_at is set by the server');

-- rules on direct table writes
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)
    values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'tv_spot', '2027-02-27T12:00:00Z', 'UTC')$$),
  'PT422 starts_at:before_release', 'a TV spot before the release is refused on a table insert');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)
    values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'premiere', '2027-02-27T12:00:00Z', 'Mars/Base')$$),
  '22023 time_zone:unknown_time_zone', 'an unknown time zone is refused');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)
    values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'tv_spot', '2027-03-02T12:00:00Z', 'UTC')$$),
  'ok:1', 'a TV spot after the release is fine');
select is(pg_temp.outcome('service_role', '{"role": "service_role"}',
  $$update public.music_video_promo_events set kind = 'interview'
    where id = '00000000-0000-4000-8000-000000000202'$$),
  'PT422 starts_at:before_release', 'the rule binds the service role too');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$insert into public.music_video_milestones (music_video_id, kind, due_date)
    values ('00000000-0000-4000-8000-0000000000f1', 'release', '2027-03-01')$$),
  '23514', 'the release milestone is the video''s date, never stored');

-- ordering: the edit lock (2027-01-11) is before the shoot ends (2027-01-12)
select is(
  (select jsonb_path_query_array(private.music_video_plan_check(v, false), '$.warnings[*].code')
   from public.music_videos as v where v.id = '00000000-0000-4000-8000-0000000000f1'),
  '["edit_lock_before_shoot_end"]'::jsonb, 'on a draft a broken ordering is a warning');
select ok(
  (select private.music_video_plan_check(v, true) -> 'problems' @> '[{"code": "edit_lock_before_shoot_end"}]'
   from public.music_videos as v where v.id = '00000000-0000-4000-8000-0000000000f1'),
  'at submit it is a problem');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$update public.music_videos set status = 'planned' where id = '00000000-0000-4000-8000-0000000000f1'$$),
  'PT422 video_theme_id:required,art_style_id:required,budget_band_id:required,quality_tier:required,'
  || 'milestones:edit_lock_before_shoot_end',
  'submitting through the table reports the ordering in the same problems list as the other plan rules');

-- the timeline on a fixed day
select is(
  (select row(count(*), count(*) filter (where (i ->> 'overdue')::boolean), count(*) filter (where i ->> 'source' = 'video'))::text
   from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1', '2027-01-13') as t
   cross join json_array_elements(t.items) as i),
  '(7,2,3)', 'timeline items: 3 derived dates, 2 milestones, 2 promos; 2 overdue on 2027-01-13');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  $$select public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'PT404', 'another user''s release timeline is PT404');
select is(pg_temp.outcome('anon', '{"role": "anon"}',
  $$select public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'denied', 'anon may not call the timeline');

-- actuals in the variance view
update public.music_video_budget_line_items set actual_amount = 1500
where id = '00000000-0000-4000-8000-000000000101';
select is(
  (select row(total_allocation, total_actual, actual_variance)::text from public.music_video_budget_variance
   where music_video_id = '00000000-0000-4000-8000-0000000000f1'),
  '(1000,1500,500)', 'the view adds actuals and their variance');

-- delete: only drafts; the files are queued for Storage, not deleted here
insert into storage.objects (bucket_id, name) values
  ('music-video-moodboards', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/ref.jpg');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$delete from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'$$),
  'ok:1', 'the owner deletes a draft through the table');
select public.delete_music_video('00000000-0000-4000-8000-0000000000f1');
select is(
  (select metadata -> 'object_paths' from public.music_video_metric_imports where source = 'storage_cleanup'),
  '["00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/board.png",
    "00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/ref.jpg"]'::jsonb,
  'one cleanup job names the folder''s objects and the moodboard rows');
select is((select count(*)::int from storage.objects where name like '%/00000000-0000-4000-8000-0000000000f1/%'), 1,
  'storage.objects rows are left for the Storage API to remove');

select * from finish();
rollback;
