-- The shot list (20261130220000..220300; the writes' typed row, 20261202020000): the RPCs as owner, another user, admin, anon and the
-- service role; numbers stay 1..n through add, move, reorder and remove; the table's rules on
-- direct writes; the shot-list export request.
begin;
select plan(24);
\ir 00-helpers.sql

create temp table out50 (k text primary key, v jsonb) on commit drop;
grant all on out50 to authenticated, service_role;
-- start from an empty list (the helpers give the video two shots)
delete from public.music_video_shots where music_video_id = '00000000-0000-4000-8000-0000000000f1';

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000000a", "role": "authenticated"}', true);

insert into out50 select 'a', to_jsonb(public.add_music_video_shot(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', description => 'Wide establishing', scene => 'Roof',
  shot_size => 'EWS', duration_seconds => 10, cast_assignment_ids => '["00000000-0000-4000-8000-000000000102"]'));
insert into out50 select 'b', to_jsonb(public.add_music_video_shot(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', description => 'Close on the singer', scene => 'Roof',
  shot_size => 'CU', duration_seconds => 5));
insert into out50 select 'c', to_jsonb(public.add_music_video_shot(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', description => 'Title card', shot_number => 1));
select is((select v -> 'shot' -> 'cast' -> 0 ->> 'name' from out50 where k = 'a'), 'Sam Okafor',
  'the shot lists its cast by name');
select is(
  (select jsonb_path_query_array(v, '$.shots[*].description') from out50 where k = 'c'),
  '["Title card", "Wide establishing", "Close on the singer"]', 'a shot placed at 1 moves the others down');
select is((select v -> 'total_duration_seconds' from out50 where k = 'c'), '15', 'estimated total');

insert into out50 select 'move', to_jsonb(public.update_music_video_shot(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', shot_id => (select v -> 'shot' ->> 'id' from out50 where k = 'c'),
  patch => '{"shot_number": 3, "status": "cut"}'));
select is(
  (select jsonb_path_query_array(v, '$.shots[*].shot_number') from out50 where k = 'move'), '[1, 2, 3]',
  'a move keeps numbers 1..n');
select is((select v -> 'shot' ->> 'status' from out50 where k = 'move'), 'cut', 'status changes');

insert into out50 select 'order', to_jsonb(public.reorder_music_video_shots(
  music_video_id => '00000000-0000-4000-8000-0000000000f1',
  shot_ids => jsonb_build_array((select v -> 'shot' ->> 'id' from out50 where k = 'b'),
    (select v -> 'shot' ->> 'id' from out50 where k = 'c'), (select v -> 'shot' ->> 'id' from out50 where k = 'a'))));
select is(
  (select jsonb_path_query_array(v, '$.shots[*].description') from out50 where k = 'order'),
  '["Close on the singer", "Title card", "Wide establishing"]', 'reorder applies the whole order');
select throws_ok(
  $$select public.reorder_music_video_shots(music_video_id => '00000000-0000-4000-8000-0000000000f1',
    shot_ids => '[]')$$, 'PT409', null, 'an order that leaves shots out is stale (PT409)');
select throws_ok(
  $$select public.add_music_video_shot(music_video_id => '00000000-0000-4000-8000-0000000000f1', description => '')$$,
  'PT422', null, 'a shot needs a description (PT422)');

insert into out50 select 'rm', to_jsonb(public.remove_music_video_shot(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', shot_id => (select v -> 'shot' ->> 'id' from out50 where k = 'b')));
select is(
  (select jsonb_path_query_array(v, '$.shots[*].shot_number') from out50 where k = 'rm'), '[1, 2]',
  'remove renumbers the shots after it');
select is(
  (select string_agg(r.shot_number || ':' || r.description, ',' order by r.shot_number)
   from public.get_music_video_shots(music_video_id => '00000000-0000-4000-8000-0000000000f1') as r),
  (select string_agg(s.shot_number || ':' || s.description, ',' order by s.shot_number)
   from public.music_video_shots as s where s.music_video_id = '00000000-0000-4000-8000-0000000000f1'),
  'the owner reads the list, one row per shot in number order');
select is((public.request_music_video_shotlist_export(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', format => 'pdf')).kind, 'shotlist',
  'the owner requests a shot-list export');
select is(
  (select count(*)::integer from public.music_video_metric_imports
   where source = 'export' and metadata ->> 'kind' = 'shotlist'
     and metadata ->> 'music_video_id' = '00000000-0000-4000-8000-0000000000f1'), 1,
  'the owner sees the export job');

-- direct writes: a gap is refused at commit (checked here with set constraints immediate)
select throws_ok(
  $$insert into public.music_video_shots (music_video_id, shot_number, description)
    values ('00000000-0000-4000-8000-0000000000f1', 7, 'gap'); set constraints all immediate$$,
  'PT422', null, 'a direct insert that leaves a gap is refused');

-- another user, an admin
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000000b", "role": "authenticated"}', true);
select throws_ok($$select public.get_music_video_shots(music_video_id => '00000000-0000-4000-8000-0000000000f1')$$,
  'PT404', 'Music video not found', 'another user: 404 on read');
select throws_ok($$select public.add_music_video_shot(music_video_id => '00000000-0000-4000-8000-0000000000f1',
  description => 'x')$$, 'PT404', 'Music video not found', 'another user: 404 on add');
select throws_ok($$select public.request_music_video_shotlist_export(
  music_video_id => '00000000-0000-4000-8000-0000000000f1', format => 'csv')$$,
  'PT404', 'Music video not found', 'another user: 404 on export');
select is((select count(*)::integer from public.music_video_shots), 0, 'another user sees no shots');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-00000000000c", "role": "authenticated", "app_metadata": {"role": "admin"}}', true);
select throws_ok($$select public.get_music_video_shots(music_video_id => '00000000-0000-4000-8000-0000000000f1')$$,
  'PT404', 'Music video not found', 'an admin: 404 (shot lists are the owner''s)');

reset role;
select is(
  tests.try_as('anon', '{"role": "anon"}',
    $$select public.get_music_video_shots(music_video_id => '00000000-0000-4000-8000-0000000000f1')$$),
  'denied', 'anon may not call the RPCs');
select is(
  tests.try_as('anon', '{"role": "anon"}', $$select * from public.music_video_shots$$),
  'denied', 'anon may not read the table');
select is(
  tests.try_as('service_role', '{"role": "service_role"}',
    $$select public.add_music_video_shot(music_video_id => '00000000-0000-4000-8000-0000000000f1', description => 'svc')$$),
  'ok:1', 'the service role adds shots');
select set_eq(
  $$select tablename::text from pg_publication_tables where pubname = 'supabase_realtime'
    and tablename in ('music_video_shots', 'music_video_shot_cast')$$,
  array['music_video_shots', 'music_video_shot_cast'], 'both tables are published');

-- the writes' contract (20261202020000): one typed row, no default on a required parameter
select is(
  (select string_agg(format('%s:%s', p.proname, pg_get_function_result(p.oid)), ',' order by p.proname)
   from pg_proc as p where p.pronamespace = 'public'::regnamespace
     and p.proname in ('add_music_video_shot', 'update_music_video_shot', 'reorder_music_video_shots',
       'remove_music_video_shot')),
  'add_music_video_shot:music_video_shot_list,remove_music_video_shot:music_video_shot_list,'
  || 'reorder_music_video_shots:music_video_shot_list,update_music_video_shot:music_video_shot_list',
  'every shot write returns the typed list row');
select is(
  (select string_agg(format('%s:%s', p.proname, p.pronargs - p.pronargdefaults), ',' order by p.proname)
   from pg_proc as p where p.pronamespace = 'public'::regnamespace
     and p.proname in ('add_music_video_shot', 'update_music_video_shot', 'reorder_music_video_shots',
       'remove_music_video_shot')),
  'add_music_video_shot:2,remove_music_video_shot:2,reorder_music_video_shots:2,update_music_video_shot:3',
  'the required parameters (ids, description, patch, shot_ids) have no default');

select * from finish();
rollback;
