-- An archived plan is read-only (20261201050100): direct table writes under the plan (every
-- child table and the video's own fields) answer PT409 status:archived for the owner; other
-- users and admins change nothing (RLS), anon is denied, the service role is trusted; the one
-- way out is the status move back to the lane, after which the plan is editable again.
begin;
select plan(23);
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

-- the helpers' video, archived from draft (as the owner would, through the table)
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
set local role authenticated;
update public.music_videos set status = 'archived' where id = '00000000-0000-4000-8000-0000000000f1';
reset role;

-- the owner: every table under the plan refuses inserts, updates and deletes
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'), x.stmt),
  'PT409 status:archived', 'owner: ' || x.label)
from (values
  ('update milestones', $$update public.music_video_milestones set due_date = '2027-03-01'$$),
  ('insert a milestone', $$insert into public.music_video_milestones (music_video_id, kind, due_date)
     values ('00000000-0000-4000-8000-0000000000f1', 'promo', '2027-03-01')$$),
  ('delete milestones', $$delete from public.music_video_milestones$$),
  ('cancel a promo event', $$update public.music_video_promo_events set cancelled_at = now()$$),
  ('update shots', $$update public.music_video_shots set description = 'Changed' where shot_number = 1$$),
  ('delete a shot''s cast', $$delete from public.music_video_shot_cast$$),
  ('update line items', $$update public.music_video_budget_line_items set amount = 2000$$),
  ('update cast assignments', $$update public.music_video_cast_assignments set confirmed = true$$),
  ('delete platform targets', $$delete from public.music_video_platform_targets$$),
  ('update moodboards', $$update public.music_video_moodboards set caption = 'new'$$),
  ('change the video''s title', $$update public.music_videos set title = 'Renamed'$$),
  ('un-archive and rename at once', $$update public.music_videos set status = 'draft', title = 'Renamed'$$)
) as x (label, stmt);

-- other users and admins see nothing to change; anon has no grant
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  $$update public.music_video_shots set description = 'x'$$), 'ok:0', 'another user changes no shot');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000c', true),
  $$update public.music_video_milestones set done = true$$), 'ok:0', 'an admin changes no milestone');
select is(pg_temp.outcome('anon', '{"role": "anon"}', $$update public.music_video_milestones set done = true$$),
  'denied', 'anon may not write milestones');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000b'),
  $$select public.add_music_video_milestone('00000000-0000-4000-8000-0000000000f1', 'delivery', '2027-03-01')$$),
  'PT404', 'another user''s RPC call is PT404 before the status matters');

-- the RPCs ask the same rule, for the service role too
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$select public.complete_music_video_milestone('00000000-0000-4000-8000-000000000110')$$),
  'PT409 status:archived', 'owner: complete_music_video_milestone');
select is(pg_temp.outcome('service_role', '{"role": "service_role"}',
  $$select public.remove_music_video_shot('00000000-0000-4000-8000-0000000000f1',
    '00000000-0000-4000-8000-000000000111')$$),
  'PT409 status:archived', 'service role: remove_music_video_shot');
-- ... while its direct writes are trusted (workers, fixes)
select is(pg_temp.outcome('service_role', '{"role": "service_role"}',
  $$update public.music_video_milestones set done = true$$), 'ok:1', 'the service role''s table write passes');

-- reading stays open: the timeline lists the archived video's items, none overdue
select is(
  (select row(count(*), count(*) filter (where (i ->> 'overdue')::boolean))::text
   from public.music_video_release_timeline('00000000-0000-4000-8000-0000000000a1', '2030-01-01') as t
   cross join json_array_elements(t.items) as i),
  '(2,0)', 'an archived plan is read, and chases nothing');

-- un-archiving is the way out: the status move alone passes, then the plan is editable
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$update public.music_videos set status = 'draft'$$), 'ok:1', 'the owner un-archives (status move alone)');
select set_config('request.jwt.claims', tests.claims('00000000-0000-4000-8000-00000000000a')::text, true);
set local role authenticated;
update public.music_videos set status = 'draft' where id = '00000000-0000-4000-8000-0000000000f1';
reset role;
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$update public.music_video_shots set description = 'Changed' where shot_number = 1$$),
  'ok:1', 'after un-archiving the owner edits the shots again');
select is(pg_temp.outcome('authenticated', tests.claims('00000000-0000-4000-8000-00000000000a'),
  $$update public.music_videos set title = 'Renamed'$$), 'ok:1', '... and the video');

select * from finish();
rollback;
