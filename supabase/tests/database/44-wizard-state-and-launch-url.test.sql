-- wizard_state is bounded (20261130150600: 64 KB as text, 1,000 keys, 20 levels) and
-- launch_url takes http(s) only, and a YouTube video URL on the youtube platform
-- (20261130150700): through the RPCs and the table endpoints alike.
begin;
select plan(19);
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
  return v_state || coalesce(' ' || (
    select string_agg((p ->> 'field') || ':' || (p ->> 'code'), ',' order by o)
    from jsonb_array_elements(v_detail::jsonb -> 'problems') with ordinality as x (p, o)
    where v_detail like '{%'
  ), '');
end
$$;
create temp table states (name text, state jsonb);
insert into states values
  ('big', jsonb_build_object('blob', repeat('x', 70000))),
  ('keys', (select jsonb_object_agg('k' || g, g) from generate_series(1, 1001) as g)),
  ('deep', (repeat('{"a":', 25) || '1' || repeat('}', 25))::jsonb),
  ('deep_array', (repeat('[', 5000) || repeat(']', 5000))::jsonb),
  ('fine', jsonb_build_object('step', 'concept', 'answers',
    (select jsonb_object_agg('k' || g, repeat('y', 20)) from generate_series(1, 500) as g),
    'nested', (repeat('{"a":', 15) || '1' || repeat('}', 15))::jsonb));
grant select on states to authenticated, service_role;

-- 7. wizard_state
select is(
  pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'), format(
    $q$update public.music_videos set wizard_state = %L where id = '00000000-0000-4000-8000-0000000000f1'$q$,
    s.state)),
  s.expected, s.label)
from (values
  ('big', 'PT422 wizard_state:too_large', 'PATCH: a wizard state over 64 KB is refused'),
  ('keys', 'PT422 wizard_state:too_many_keys', 'PATCH: over 1,000 keys is refused'),
  ('deep', 'PT422 wizard_state:too_deep', 'PATCH: nesting over 20 levels is refused'),
  ('deep_array', 'PT422 wizard_state:too_deep', 'PATCH: 5,000 nested arrays are refused'),
  ('fine', 'ok:1', 'PATCH: a realistic wizard state is accepted')
) as c (name, expected, label)
cross join lateral (select st.state, c.expected, c.label from states as st where st.name = c.name) as s;
select is(
  pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
    format($q$select public.save_music_video_draft(id => '00000000-0000-4000-8000-0000000000f1', wizard_state => %L)$q$,
      (select state from states where name = 'big'))),
  'PT422 wizard_state:too_large', 'the draft RPC answers the same');
select is(
  pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
    format($q$insert into public.music_videos (release_id, wizard_state) values ('00000000-0000-4000-8000-0000000000a1', %L)$q$,
      (select state from states where name = 'keys'))),
  'PT422 wizard_state:too_many_keys', 'POST is held to it');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}',
    format($q$update public.music_videos set wizard_state = %L where id = '00000000-0000-4000-8000-0000000000f1'$q$,
      (select state from states where name = 'big'))),
  'PT422 wizard_state:too_large', 'the service role too');
select is(
  pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
    $q$select public.save_music_video_draft(id => '00000000-0000-4000-8000-0000000000f1', wizard_step => 'concept', wizard_state => '{"a": 1}')$q$),
  'ok:1', 'the draft RPC saves a small state');

-- 8. launch_url
select is(
  pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'), c.stmt),
  c.expected, c.label)
from (values
  ($q$update public.music_video_platform_targets set launch_url = 'javascript:alert(document.cookie)//youtu.be/dQw4w9WgXcQ' where id = '00000000-0000-4000-8000-000000000103'$q$,
   'PT422 launch_url:invalid_url', 'PATCH: a javascript: URL is refused'),
  ($q$insert into public.music_video_platform_targets (music_video_id, platform, launch_url) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'javascript:alert(1)')$q$,
   'PT422 launch_url:invalid_url', 'POST: a javascript: URL on any platform is refused'),
  ($q$insert into public.music_video_platform_targets (music_video_id, platform, launch_url) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'data:text/html,<script>x</script>')$q$,
   'PT422 launch_url:invalid_url', 'a data: URL is refused'),
  ($q$insert into public.music_video_platform_targets (music_video_id, platform, launch_url) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'https://user:pw@evil.example/x')$q$,
   'PT422 launch_url:invalid_url', 'credentials in the URL are refused'),
  ($q$insert into public.music_video_platform_targets (music_video_id, platform, launch_url) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'https://www.mtv.com/video/abc?x=1')$q$,
   'ok:1', 'an https URL on another platform is accepted'),
  ($q$update public.music_video_platform_targets set launch_url = 'https://vimeo.com/1' where id = '00000000-0000-4000-8000-000000000103'$q$,
   'PT422 launch_url:invalid_youtube_url', 'PATCH: a non-YouTube URL on the youtube platform is refused'),
  ($q$update public.music_video_platform_targets set launch_url = 'https://music.youtube.com/watch?v=dQw4w9WgXcQ' where id = '00000000-0000-4000-8000-000000000103'$q$,
   'ok:1', 'music.youtube.com is recognised'),
  ($q$update public.music_video_platform_targets set launch_url = 'https://www.youtube.com/shorts/dQw4w9WgXcQ' where id = '00000000-0000-4000-8000-000000000103'$q$,
   'ok:1', 'youtube.com/shorts/ is recognised'),
  ($q$select public.set_music_video_platform_targets(music_video_id => '00000000-0000-4000-8000-0000000000f1', targets => '[{"platform": "youtube", "launch_url": "https://youtu.be/dQw4w9WgXcQ"}, {"platform": "mtv", "launch_url": "javascript:alert(1)"}]')$q$,
   'PT422 platform_targets[1].launch_url:invalid_url', 'the platform RPC reports it as a field of the list item')
) as c (stmt, expected, label);

update public.music_video_platform_targets set launch_url = 'youtu.be/dQw4w9WgXcQ'
where id = '00000000-0000-4000-8000-000000000103';
select is(
  (select launch_url from public.music_video_platform_targets where id = '00000000-0000-4000-8000-000000000103'),
  'https://youtu.be/dQw4w9WgXcQ', 'a YouTube link typed without its scheme is stored with https://');

select * from finish();
rollback;
