-- The release timeline's lanes and their cache (migrations 20261202000000-20261202000100): who
-- may call the RPC and that nobody reads the cache through the API; a write read back in the same
-- transaction (built live), then flushed at commit (set constraints all immediate runs the
-- deferred flush here) and read from the cache; a cache row for another day answered live; the
-- nightly step, idempotent; a deleted video's lane gone.
begin;
select plan(22);
\ir 00-helpers.sql

create function pg_temp.outcome(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  v_state text;
begin
  return tests.try_as(p_role, p_claims, p_sql);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate;
  return v_state;
end
$$;

-- The lane as the RPC returns it for today, and as the builder computes it live.
create function pg_temp.lane_items(p_as_of date default null) returns text
language sql as $$
  select t.items::text from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1', p_as_of) as t
  where t.music_video_id = '00000000-0000-4000-8000-0000000000f1'
$$;
create function pg_temp.live_items(p_as_of date default null) returns text
language sql as $$
  select b.items::text
  from private.music_video_timeline_build('{00000000-0000-4000-8000-0000000000f1}',
    coalesce(p_as_of, timezone('utc', now())::date)) as b
$$;

-- access
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$select * from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'ok:1', 'the owner reads one lane per video');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  $$select * from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'PT404', 'another user: PT404');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000c', true),
  $$select * from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'PT404', 'an admin is not the release''s owner: PT404');
select is(pg_temp.outcome('anon', '{"role": "anon"}',
  $$select * from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'denied', 'anon may not call it');
select is(pg_temp.outcome('service_role', '{"role": "service_role"}',
  $$select * from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1')$$),
  'ok:1', 'the service role reads it');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$select * from private.music_video_timeline_lanes$$), 'denied', 'the cache is not readable by signed-in users');
select is(pg_temp.outcome('anon', '{"role": "anon"}',
  $$select * from private.music_video_timeline_lanes$$), 'denied', 'nor by anon');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$select * from private.music_video_timeline_build('{00000000-0000-4000-8000-0000000000f1}', current_date)$$),
  'denied', 'the builder is not callable through the API');
select ok(
  (select c.relrowsecurity from pg_catalog.pg_class as c where c.oid = 'private.music_video_timeline_lanes'::regclass),
  'the cache has row-level security enabled');

-- the helpers' delivery milestone out of the way (its fixed date would move the range below over time)
delete from public.music_video_milestones where id = '00000000-0000-4000-8000-000000000110';
set constraints all immediate;
set constraints all deferred;
delete from private.music_video_timeline_lanes;

-- writes as PostgREST makes them (the owner under RLS), read back before the commit: built live
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
set local role authenticated;
update public.music_videos set shoot_start_date = current_date + 10, shoot_end_date = current_date + 12
where id = '00000000-0000-4000-8000-0000000000f1';
insert into public.music_video_milestones (id, music_video_id, kind, due_date) values
  ('00000000-0000-4000-8000-000000000201', '00000000-0000-4000-8000-0000000000f1', 'edit_lock', current_date + 20);
insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone)
values ('00000000-0000-4000-8000-0000000000f1', 'youtube', 'teaser', now() + interval '15 days', 'UTC');
reset role;
select is((select count(*)::integer from private.music_video_timeline_lanes), 0, 'nothing stored before the commit');
select is(pg_temp.lane_items(), pg_temp.live_items(), 'the request reads its own writes (built live)');
select is((select json_array_length(t.items)
           from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1') as t), 5,
  'shoot start, shoot end, the edit lock, the teaser and the helpers'' premiere');

-- the commit's flush stores the lane as the builder computes it, for today
set constraints all immediate;
set constraints all deferred;
select is((select l.items::text from private.music_video_timeline_lanes as l), pg_temp.live_items(),
  'the flush stored the builder''s lane');
select is((select l.computed_for from private.music_video_timeline_lanes as l), timezone('utc', now())::date,
  'for today (UTC)');
select is(private.music_video_timeline_noted(), null, 'and forgot the notes');
select is(pg_temp.lane_items(), pg_temp.live_items(), 'the read answers from the stored lane');
-- the range: the earliest pending item is the shoot start in 10 days; nothing pending before today
select is((select row(l.valid_from, l.valid_until - timezone('utc', now())::date)::text
           from private.music_video_timeline_lanes as l), '(-infinity,10)', 'valid until the shoot start');

-- a stored lane for another day is not used: the read builds it live
update private.music_video_timeline_lanes
set computed_for = '2000-01-01', valid_from = '2000-01-01', valid_until = '2000-01-01', items = '[]';
select is(pg_temp.lane_items(), pg_temp.live_items(), 'a lane stored for another day: the live answer');
select is(pg_temp.lane_items(current_date + 11), pg_temp.live_items(current_date + 11),
  'and on a later as_of (the shoot start overdue) as well');

-- the nightly step rebuilds it, once
select is((select row(s.scanned > 0, s.refreshed)::text from private.refresh_music_video_timeline_step() as s
           where s.last_id is not null limit 1), '(t,1)', 'the nightly step rebuilds the out-of-date lane');
select is((select sum(s.refreshed)::integer from private.refresh_music_video_timeline_step() as s), 0,
  'a second run rebuilds nothing');

-- deleting the video drops its lane
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
delete from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1';
select is((select count(*)::integer from private.music_video_timeline_lanes), 0, 'a deleted video leaves no lane');

select * from finish();
rollback;
