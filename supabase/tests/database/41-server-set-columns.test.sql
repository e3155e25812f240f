-- Server-set columns and existence oracles (20261130150100): through the table endpoints an API
-- role cannot choose created_by, created_at or submitted_at (nor triggered_by on imports, whoever
-- inserts), an unknown created_by no longer answers 23503, and reusing another user's row id
-- answers PT404 instead of the primary key's 23505.
begin;
select plan(17);
\ir 00-helpers.sql

-- Runs one statement as a role with claims and keeps its effects (unlike tests.try_as).
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
begin
  return tests.try_as(p_role, p_claims, p_sql);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate;
  return v_state;
end
$$;

create temp table who as select
  tests.claims('00000000-0000-4000-8000-00000000000a') as owner,
  tests.claims('00000000-0000-4000-8000-00000000000b') as other,
  tests.claims('00000000-0000-4000-8000-00000000000c', true) as admin;
grant select on who to authenticated, service_role;

-- The other user's video and line item, whose ids the owner learns somehow.
insert into public.music_videos (id, release_id, title) values
  ('00000000-0000-4000-8000-0000000000f9', '00000000-0000-4000-8000-0000000000b1', 'Theirs');
insert into public.music_video_budget_line_items (id, music_video_id, category, amount) values
  ('00000000-0000-4000-8000-000000000109', '00000000-0000-4000-8000-0000000000f9', 'direction', 1);

-- 2. server-set columns on insert
select pg_temp.run_as('authenticated', (select owner from who), $q$
  insert into public.music_videos (id, release_id, title, created_by, created_at, submitted_at)
  values ('00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-0000000000a1', 'Forged',
          '00000000-0000-4000-8000-00000000000b', '2000-01-01', '2000-01-01')$q$);
select results_eq(
  $$select created_by, created_at = now(), submitted_at from public.music_videos where id = '00000000-0000-4000-8000-0000000000e1'$$,
  $$values ('00000000-0000-4000-8000-00000000000a'::uuid, true, null::timestamptz)$$,
  'POST: created_by is the caller, created_at now, submitted_at empty, whatever the body says');
select pg_temp.run_as('authenticated', (select owner from who), $q$
  insert into public.music_video_budget_line_items (id, music_video_id, category, amount, created_at)
  values ('00000000-0000-4000-8000-0000000001e1', '00000000-0000-4000-8000-0000000000e1', 'post', 1, '2000-01-01')$q$);
select is(
  (select created_at = now() from public.music_video_budget_line_items where id = '00000000-0000-4000-8000-0000000001e1'),
  true, 'POST on a child table: created_at is now');

-- 2. server-set columns on update
select pg_temp.run_as('authenticated', (select owner from who), $q$
  update public.music_videos set created_by = '00000000-0000-4000-8000-00000000000b', created_at = '2000-01-01',
    submitted_at = '2000-01-01' where id = '00000000-0000-4000-8000-0000000000e1'$q$);
select results_eq(
  $$select created_by, created_at = now(), submitted_at from public.music_videos where id = '00000000-0000-4000-8000-0000000000e1'$$,
  $$values ('00000000-0000-4000-8000-00000000000a'::uuid, true, null::timestamptz)$$,
  'PATCH cannot change created_by, created_at or submitted_at');
select pg_temp.run_as('authenticated', (select owner from who), $q$
  update public.music_video_budget_line_items set created_at = '2000-01-01' where id = '00000000-0000-4000-8000-0000000001e1'$q$);
select is(
  (select created_at = now() from public.music_video_budget_line_items where id = '00000000-0000-4000-8000-0000000001e1'),
  true, 'PATCH on a child table cannot back-date created_at');

-- 3. existence oracles
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    insert into public.music_videos (release_id, title, created_by)
    values ('00000000-0000-4000-8000-0000000000a1', 'x', '00000000-0000-4000-8000-0000000dead0')$q$),
  'ok:1', 'an unknown created_by no longer answers 23503 (it is ignored): user ids cannot be probed');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    insert into public.music_videos (id, release_id, title)
    values ('00000000-0000-4000-8000-0000000000f9', '00000000-0000-4000-8000-0000000000a1', 'x')$q$),
  'PT404', 'a video with another user''s video id: PT404, not 23505');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    insert into public.music_video_budget_line_items (id, music_video_id, category, amount)
    values ('00000000-0000-4000-8000-000000000109', '00000000-0000-4000-8000-0000000000f1', 'post', 1)$q$),
  'PT404', 'a child row with another user''s row id: PT404');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    insert into public.music_video_budget_line_items (id, music_video_id, category, amount)
    values ('00000000-0000-4000-8000-000000000109', '00000000-0000-4000-8000-0000000000f9', 'post', 1)$q$),
  'PT404', '... also aimed at their video');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    insert into public.music_video_budget_line_items (music_video_id, category, amount)
    values ('00000000-0000-4000-8000-0000000000f9', 'post', 1)$q$),
  'denied', 'a fresh row under their video is refused by RLS as before');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    update public.music_videos set id = '00000000-0000-4000-8000-0000000000f9' where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  '22023', 'an id cannot be changed to another (or any) id');
select is(
  pg_temp.outcome('authenticated', (select owner from who), $q$
    insert into public.music_videos (id, release_id, title)
    values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1', 'x')$q$),
  '23505', 'reusing one''s own id is a plain conflict (nothing to hide)');
select is(
  pg_temp.outcome('service_role', '{"role": "service_role"}', $q$
    insert into public.music_videos (id, release_id, title, created_by)
    values ('00000000-0000-4000-8000-0000000000e2', '00000000-0000-4000-8000-0000000000a1', 'x', '00000000-0000-4000-8000-00000000000b')$q$),
  'ok:1', 'the service role still sets what it likes');

-- 2. triggered_by comes from the JWT, whoever inserts
select pg_temp.run_as('authenticated', (select admin from who), $q$
  insert into public.music_video_metric_imports (id, music_video_id, source, status, triggered_by)
  values ('00000000-0000-4000-8000-0000000002e1', '00000000-0000-4000-8000-0000000000f1', 'charts', 'succeeded',
          '00000000-0000-4000-8000-00000000000a')$q$);
select is(
  (select triggered_by from public.music_video_metric_imports where id = '00000000-0000-4000-8000-0000000002e1'),
  '00000000-0000-4000-8000-00000000000c'::uuid, 'an admin cannot blame the owner: triggered_by is the admin');
select pg_temp.run_as('authenticated', (select admin from who), $q$
  update public.music_video_metric_imports set triggered_by = '00000000-0000-4000-8000-00000000000a'
  where id = '00000000-0000-4000-8000-0000000002e1'$q$);
select is(
  (select triggered_by from public.music_video_metric_imports where id = '00000000-0000-4000-8000-0000000002e1'),
  '00000000-0000-4000-8000-00000000000c'::uuid, '... nor rewrite it afterwards');
select pg_temp.run_as('service_role', '{"role": "service_role"}', $q$
  insert into public.music_video_metric_imports (id, music_video_id, source, status, triggered_by)
  values ('00000000-0000-4000-8000-0000000002e2', '00000000-0000-4000-8000-0000000000f1', 'charts', 'succeeded',
          '00000000-0000-4000-8000-00000000000a')$q$);
select is(
  (select triggered_by from public.music_video_metric_imports where id = '00000000-0000-4000-8000-0000000002e2'),
  null, 'the service role has no JWT user: triggered_by is empty, not what the row said');
update public.music_video_metric_imports set status = 'succeeded' where id = '00000000-0000-4000-8000-000000000105';
select pg_temp.run_as('authenticated', (select owner from who), $q$
  select public.request_music_video_metrics_sync(id => '00000000-0000-4000-8000-0000000000f1')$q$);
select is(
  (select triggered_by from public.music_video_metric_imports
   where music_video_id = '00000000-0000-4000-8000-0000000000f1' and source = 'youtube' and status = 'pending'
   order by created_at desc limit 1),
  '00000000-0000-4000-8000-00000000000a'::uuid, 'the sync RPC records the caller');
select is(
  pg_temp.outcome('authenticated', (select other from who), $q$
    insert into public.music_video_metric_imports (music_video_id, source, triggered_by)
    values ('00000000-0000-4000-8000-0000000000f1', 'charts', '00000000-0000-4000-8000-00000000000b')$q$),
  'denied', 'a non-admin still cannot insert import rows');

select * from finish();
rollback;
