-- Import rows (20261130150400, 20261130150500): an import may name only its own source's bucket
-- and its own release's folder, whoever writes the row (an admin could otherwise have the
-- worker read another release's moodboard); live imports are bounded per video (5 broadcast)
-- and per triggering user (50), on every path, while the service role's bulk enqueue (no JWT
-- user) is not counted against anyone.
begin;
select plan(24);
\ir 00-helpers.sql

create function pg_temp.run_as(p_role text, p_claims jsonb, p_sql text) returns void
language plpgsql as $$
begin
  perform set_config('request.jwt.claims', p_claims::text, true);
  execute format('set local role %I', p_role);
  execute p_sql;
  reset role;
end
$$;
create function pg_temp.outcome(p_role text, p_claims jsonb, p_sql text) returns text
language plpgsql as $$
declare
  v_state text;
  v_detail text;
  v_message text;
begin
  return tests.try_as(p_role, p_claims, p_sql);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail, v_message = message_text;
  return v_state || coalesce(' ' || (
    select string_agg((p ->> 'field') || ':' || (p ->> 'code'), ',' order by o)
    from jsonb_array_elements(v_detail::jsonb -> 'problems') with ordinality as x (p, o)
    where v_detail like '{%'
  ), '');
end
$$;

create temp table who as select
  tests.claims('00000000-0000-4000-8000-00000000000a') as owner,
  tests.claims('00000000-0000-4000-8000-00000000000c', true) as admin;
grant select on who to authenticated, service_role;

-- The other release's video and moodboard, and the owner's uploaded CSV.
insert into public.music_videos (id, release_id, title) values
  ('00000000-0000-4000-8000-0000000000f9', '00000000-0000-4000-8000-0000000000b1', 'Theirs');
insert into storage.objects (bucket_id, name) values
  ('music-video-moodboards', '00000000-0000-4000-8000-0000000000b1/00000000-0000-4000-8000-0000000000f9/secret.png'),
  ('music-video-broadcast-imports', '00000000-0000-4000-8000-0000000000a1/week-45.csv');

-- 5. object references
create temp table ref_cases (n int, role text, stmt text, expected text, label text);
insert into ref_cases values
  (1, 'admin', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"bucket": "music-video-moodboards", "path": "00000000-0000-4000-8000-0000000000b1/00000000-0000-4000-8000-0000000000f9/secret.png", "mapping": {}}')$q$,
   '22023 metadata.bucket:wrong_bucket', 'an admin cannot point a broadcast import at another release''s moodboard'),
  (2, 'admin', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"bucket": "music-video-broadcast-imports", "path": "00000000-0000-4000-8000-0000000000b1/their.csv"}')$q$,
   '22023 metadata.path:invalid_path', '... nor at another release''s folder of the right bucket'),
  (3, 'admin', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"path": "00000000-0000-4000-8000-0000000000a1/../00000000-0000-4000-8000-0000000000b1/their.csv"}')$q$,
   '22023 metadata.path:invalid_path', '... nor through .. segments'),
  (4, 'admin', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'youtube', 'youtube', '{"bucket": "music-video-moodboards", "path": "x.png"}')$q$,
   '22023 metadata:not_allowed', 'a YouTube job names no uploaded file'),
  (5, 'admin', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'youtube', 'youtube', '{"raw_payload": {"bucket": "music-video-moodboards", "path": "00000000-0000-4000-8000-0000000000b1/00000000-0000-4000-8000-0000000000f9/secret.png"}}')$q$,
   '22023 metadata.raw_payload:invalid_path', 'a raw payload reference stays in the raw-payload bucket'),
  (6, 'service_role', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"bucket": "music-video-moodboards", "path": "00000000-0000-4000-8000-0000000000b1/00000000-0000-4000-8000-0000000000f9/secret.png"}')$q$,
   '22023 metadata.bucket:wrong_bucket', 'the service role is held to it too'),
  (7, 'admin', $q$update public.music_video_metric_imports set source = 'broadcast', metadata = '{"path": "00000000-0000-4000-8000-0000000000b1/their.csv"}' where id = '00000000-0000-4000-8000-000000000105'$q$,
   '22023 metadata.path:invalid_path', 'PATCH is held to it as well'),
  (8, 'admin', $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"bucket": "music-video-broadcast-imports", "path": "00000000-0000-4000-8000-0000000000a1/week-45.csv", "mapping": {"air_date": "d", "viewers": "v"}}')$q$,
   'ok:1', 'an admin may queue the release''s own upload');

select is(
  pg_temp.outcome(case c.role when 'admin' then 'authenticated' else c.role end,
    case c.role when 'admin' then (select admin from who) else '{"role": "service_role"}' end, c.stmt),
  c.expected, c.label)
from ref_cases as c
order by c.n;

-- 6. live broadcast imports per video: the RPC five times, then PT409
select pg_temp.run_as('authenticated', (select owner from who), $q$
  select public.import_broadcast_metrics('00000000-0000-4000-8000-0000000000f1', 'mtv',
    '00000000-0000-4000-8000-0000000000a1/week-45.csv', '{"air_date": "Date", "viewers": "Viewers"}')
  from generate_series(1, 5)$q$);
select is(
  (select count(*)::int from public.music_video_metric_imports
   where music_video_id = '00000000-0000-4000-8000-0000000000f1' and source = 'broadcast' and status = 'pending'),
  5, 'five live broadcast imports of one video are fine');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    select public.import_broadcast_metrics('00000000-0000-4000-8000-0000000000f1', 'mtv',
      '00000000-0000-4000-8000-0000000000a1/week-45.csv', '{"air_date": "Date", "viewers": "Viewers"}')$q$),
  'PT409 music_video_id:too_many_live_imports', 'the sixth through the RPC: PT409 naming the limit');
select throws_like(
  $$select tests.try_as('authenticated', tests.claims('00000000-0000-4000-8000-00000000000c', true),
    $q$insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"path": "00000000-0000-4000-8000-0000000000a1/week-45.csv"}')$q$)$$,
  '%5 broadcast imports waiting or running, the limit%', 'the sixth through a direct insert: the message names the limit');
update public.music_video_metric_imports set status = 'succeeded'
where id = (select id from public.music_video_metric_imports
            where music_video_id = '00000000-0000-4000-8000-0000000000f1' and source = 'broadcast' limit 1);
select pg_temp.run_as('authenticated', (select admin from who), $q$
  insert into public.music_video_metric_imports (music_video_id, platform, source, metadata) values ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', '{"path": "00000000-0000-4000-8000-0000000000a1/week-45.csv"}')$q$);
select is(
  (select count(*)::int from public.music_video_metric_imports
   where music_video_id = '00000000-0000-4000-8000-0000000000f1' and source = 'broadcast' and status = 'pending'),
  5, 'when one finishes, a slot frees');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports set status = 'pending'
    where music_video_id = '00000000-0000-4000-8000-0000000000f1' and source = 'broadcast' and status = 'succeeded'$q$),
  'PT409 music_video_id:too_many_live_imports', 'setting a finished import back to pending counts too');

-- 6. live imports per user: 50, whoever the videos belong to; the scheduler is not a user
insert into public.music_videos (id, release_id, title)
select ('00000000-0000-4000-8000-1' || lpad(g::text, 11, '0'))::uuid, '00000000-0000-4000-8000-0000000000a1', 'Bulk ' || g
from generate_series(1, 200) as g;
select is(
  pg_temp.outcome('authenticated', (select admin from who), $q$
    insert into public.music_video_metric_imports (music_video_id, source)
    select ('00000000-0000-4000-8000-1' || lpad(g::text, 11, '0'))::uuid, 'charts' from generate_series(1, 51) as g$q$),
  'PT409 triggered_by:too_many_live_imports', '51 live imports by one user in one statement: PT409');
-- The admin has one live broadcast import already; 49 more make 50.
select pg_temp.run_as('authenticated', (select admin from who), $q$
  insert into public.music_video_metric_imports (music_video_id, source)
  select ('00000000-0000-4000-8000-1' || lpad(g::text, 11, '0'))::uuid, 'charts' from generate_series(1, 49) as g$q$);
select is(
  (select count(*)::int from public.music_video_metric_imports
   where triggered_by = '00000000-0000-4000-8000-00000000000c' and status in ('pending', 'processing')),
  50, 'fifty live imports of one user are fine');
select is(
  pg_temp.outcome('authenticated', (select admin from who), $q$
    insert into public.music_video_metric_imports (music_video_id, source)
    values ('00000000-0000-4000-8000-100000000050', 'charts')$q$),
  'PT409 triggered_by:too_many_live_imports', 'the 51st live import of one user: PT409');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    insert into public.music_video_metric_imports (music_video_id, source, metadata)
    select ('00000000-0000-4000-8000-1' || lpad(g::text, 11, '0'))::uuid, 'youtube', '{"trigger": "nightly"}'
    from generate_series(1, 200) as g$q$),
  'ok:200', 'the nightly bulk enqueue (no JWT user) is not limited per user');
select is(
  pg_temp.outcome('authenticated', (select admin from who), $q$
    insert into public.music_video_metric_imports (music_video_id, source)
    values ('00000000-0000-4000-8000-100000000001', 'charts') on conflict do nothing$q$),
  'ok:0', 'a sync that reuses a live job (on conflict do nothing) is not counted');

-- 7. updates are checked once per statement (20261202080000), over the rows whose references,
-- source or video changed, and a bad row fails the whole statement. The rows are written as the
-- superuser (try_as undoes what it runs); those with a bad reference with triggers off.
insert into public.music_video_metric_imports (music_video_id, source, status, metadata)
select ('00000000-0000-4000-8000-1' || lpad(g::text, 11, '0'))::uuid, 'youtube', 'succeeded', '{"trigger": "finish"}'
from generate_series(1, 200) as g;
set local session_replication_role = replica;
insert into public.music_video_metric_imports (music_video_id, platform, source, status, metadata) values
  ('00000000-0000-4000-8000-0000000000f1', 'mtv', 'broadcast', 'succeeded',
   '{"trigger": "same path", "path": "00000000-0000-4000-8000-0000000000a1/week-45.csv"}'),
  ('00000000-0000-4000-8000-0000000000f9', 'mtv', 'broadcast', 'succeeded',
   '{"trigger": "same path", "path": "00000000-0000-4000-8000-0000000000a1/week-45.csv"}'),
  ('00000000-0000-4000-8000-100000000199', 'youtube', 'youtube', 'succeeded',
   '{"trigger": "bad", "raw_payload": {"bucket": "music-video-moodboards", "path": "y.png"}}');
set local session_replication_role = origin;
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports
    set metadata = metadata || '{"raw_payload": {"bucket": "music-video-raw-payloads", "path": "youtube/2026/12/01/a.json"}}'
    where metadata ->> 'trigger' = 'finish'$q$),
  'ok:200', 'a finish writing one good raw-payload reference on 200 jobs passes');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports
    set metadata = metadata || case when music_video_id = '00000000-0000-4000-8000-100000000007'
      then '{"raw_payload": {"bucket": "music-video-moodboards", "path": "x.png"}}'::jsonb
      else '{"raw_payload": {"bucket": "music-video-raw-payloads", "path": "youtube/2026/12/01/b.json"}}'::jsonb end
    where metadata ->> 'trigger' = 'finish'$q$),
  '22023 metadata.raw_payload:invalid_path', 'one bad reference among 200 good ones: 22023 naming it');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports
    set metadata = metadata || '{"path": "00000000-0000-4000-8000-0000000000a1/week-46.csv"}'
    where metadata ->> 'trigger' = 'same path'$q$),
  '22023 metadata.path:invalid_path', 'one path on two videos of different releases: checked per video, 22023');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports set error_message = 'checked?'
    where metadata ->> 'trigger' = 'bad'$q$),
  'ok:1', 'an update that leaves a row''s references alone does not re-check them');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports
    set metadata = metadata || '{"raw_payload": {"bucket": "music-video-moodboards", "path": "z.png"}}'
    where metadata ->> 'trigger' = 'bad'$q$),
  '22023 metadata.raw_payload:invalid_path', 'one that changes them does');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    update public.music_video_metric_imports
    set id = extensions.uuid_generate_v4(),
        metadata = metadata || '{"raw_payload": {"bucket": "music-video-moodboards", "path": "w.png"}}'
    where music_video_id = '00000000-0000-4000-8000-100000000003' and metadata ->> 'trigger' = 'finish'$q$),
  '22023 metadata.raw_payload:invalid_path', 'one that changes the id as well is checked too');

select * from finish();
rollback;
