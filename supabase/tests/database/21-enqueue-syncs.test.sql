-- enqueue_music_video_syncs(): the one sync rule (sources per video, auto_sync on scheduled runs
-- only), reuse of live jobs, dedupe keys, and that only the service role may call it directly.
begin;
select plan(21);

insert into auth.users (id, email) values
  ('21000000-0000-0000-0000-000000000001', 'owner21@example.test');
insert into public.profiles (id) values ('21000000-0000-0000-0000-000000000001');
insert into public.releases (id, user_id, title) values
  ('21000000-0000-0000-0000-0000000000aa', '21000000-0000-0000-0000-000000000001', 'Twenty-one');
-- b1: YouTube with auto_sync off, and an ISRC; b2: YouTube target without its id; b3: nothing.
insert into public.music_videos (id, release_id, title, isrc) values
  ('21000000-0000-0000-0000-0000000000b1', '21000000-0000-0000-0000-0000000000aa', 'Off', 'USRC17607839'),
  ('21000000-0000-0000-0000-0000000000b2', '21000000-0000-0000-0000-0000000000aa', 'No id', null),
  ('21000000-0000-0000-0000-0000000000b3', '21000000-0000-0000-0000-0000000000aa', 'Bare', null);
insert into public.music_video_platform_targets (music_video_id, platform, external_id, auto_sync) values
  ('21000000-0000-0000-0000-0000000000b1', 'youtube', 'dQw4w9WgXcQ', false),
  ('21000000-0000-0000-0000-0000000000b2', 'youtube', null, true);

select is(
  (select prosecdef and proconfig = array['search_path=""']
   from pg_proc where oid = 'private.enqueue_music_video_syncs(uuid[], text, boolean, text, text[])'::regprocedure),
  true, 'security definer with an empty search_path'
);

set local role anon;
select throws_ok(
  $$select * from private.enqueue_music_video_syncs(array['21000000-0000-0000-0000-0000000000b1'::uuid], 'manual', false)$$,
  '42501', null, 'anon cannot call it'
);
reset role;
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub": "21000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
select throws_ok(
  $$select * from private.enqueue_music_video_syncs(array['21000000-0000-0000-0000-0000000000b1'::uuid], 'manual', false)$$,
  '42501', null, 'not even the owner (authenticated) can call it directly'
);
reset role;
-- The rest runs as the scheduler does: no JWT user.
select set_config('request.jwt.claims', '', true);

-- A scheduled run honours auto_sync: the switched-off YouTube target is left out.
select results_eq(
  $$select source, outcome from private.enqueue_music_video_syncs(
      array['21000000-0000-0000-0000-0000000000b1', '21000000-0000-0000-0000-0000000000b2',
            '21000000-0000-0000-0000-0000000000b3']::uuid[], 'nightly', true)$$,
  $$values ('charts', 'created')$$,
  'scheduled: auto_sync off skips YouTube; a target without its id and a bare video sync nothing'
);
-- A manual request ignores auto_sync; the charts job above is live and reused. It runs as the
-- sync RPC does, in the owner's request: triggered_by comes from the JWT.
select set_config('request.jwt.claims',
  '{"sub": "21000000-0000-0000-0000-000000000001", "role": "authenticated"}', true);
create temp table manual on commit drop as
select * from private.enqueue_music_video_syncs(
  array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'manual', false);
select set_config('request.jwt.claims', '', true);
select results_eq(
  $$select source, outcome, status::text from manual order by source$$,
  $$values ('charts', 'reused', 'pending'), ('youtube', 'created', 'pending')$$,
  'manual: auto_sync off still syncs YouTube, and the live charts job is reused'
);
select is(
  (select platform::text || ' ' || (metadata ->> 'trigger') || ' ' || triggered_by::text
   from public.music_video_metric_imports where id = (select import_id from manual where source = 'youtube')),
  'youtube manual 21000000-0000-0000-0000-000000000001',
  'the job carries its platform, trigger and the requesting profile'
);
select ok(
  (select metadata ->> 'sync_id' like '%:21000000-0000-0000-0000-0000000000b1' and dedupe_key is null
   from public.music_video_metric_imports where id = (select import_id from manual where source = 'youtube')),
  'a manual sync_id is <request>:<video>, with no dedupe key'
);
select is(
  (select count(*)::int from public.music_video_metric_imports),
  2, 'two live jobs in all'
);
select is(
  (select count(*)::int from private.enqueue_music_video_syncs(
     array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'manual', false, null, array['charts'])),
  1, 'p_sources narrows the sources'
);
select is(
  (select count(*)::int from private.enqueue_music_video_syncs(
     array['21000000-0000-0000-0000-0000000000b3']::uuid[], 'manual', false)),
  0, 'a video with nothing to sync gets no row'
);

-- Dedupe keys: the finished jobs of a run are not enqueued again by a second run of the same key.
update public.music_video_metric_imports set status = 'succeeded', started_at = now(), completed_at = now();
create temp table night1 on commit drop as
select * from private.enqueue_music_video_syncs(
  array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'nightly', false, 'nightly:2026-11-30');
select results_eq(
  $$select source, outcome from night1 order by source$$,
  $$values ('charts', 'created'), ('youtube', 'created')$$,
  'finished jobs are not live: a new run creates new jobs'
);
select results_eq(
  $$select dedupe_key, metadata ->> 'sync_id', metadata ->> 'trigger' from public.music_video_metric_imports
    where id in (select import_id from night1) order by source$$,
  $$values ('nightly:2026-11-30:21000000-0000-0000-0000-0000000000b1:charts',
            'nightly:2026-11-30:21000000-0000-0000-0000-0000000000b1', 'nightly'),
           ('nightly:2026-11-30:21000000-0000-0000-0000-0000000000b1:youtube',
            'nightly:2026-11-30:21000000-0000-0000-0000-0000000000b1', 'nightly')$$,
  'dedupe_key <prefix>:<video>:<source> and sync_id <prefix>:<video>'
);
select results_eq(
  $$select source, import_id, outcome from private.enqueue_music_video_syncs(
      array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'nightly', false, 'nightly:2026-11-30')
    order by source$$,
  $$select source, import_id, 'already_enqueued' from night1 order by source$$,
  'the same key again: already_enqueued, with the earlier job ids'
);
update public.music_video_metric_imports set status = 'succeeded', started_at = now(), completed_at = now()
where id in (select import_id from night1);
select results_eq(
  $$select outcome, status::text from private.enqueue_music_video_syncs(
      array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'nightly', false, 'nightly:2026-11-30')$$,
  $$values ('already_enqueued', 'succeeded'), ('already_enqueued', 'succeeded')$$,
  'even once those jobs finished'
);
select is(
  (select count(*)::int from public.music_video_metric_imports),
  4, 'and no job was added'
);
create temp table night2 on commit drop as
select * from private.enqueue_music_video_syncs(
  array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'nightly', false, 'nightly:2026-12-01');
select is(
  (select count(*)::int from night2 where outcome = 'created'), 2, 'the next key is a new run'
);
select is(
  (select count(*)::int from public.music_video_metric_imports
   where id in (select import_id from night2) and triggered_by is null),
  2, 'triggered_by comes from the JWT only: without a user it is null'
);
select results_eq(
  $$select source, outcome from private.enqueue_music_video_syncs(
      array['21000000-0000-0000-0000-0000000000b1']::uuid[], 'nightly', false, 'nightly:2026-12-02')
    order by source$$,
  $$values ('charts', 'reused'), ('youtube', 'reused')$$,
  'a job still live from an earlier run is reused by the next'
);

-- Set-based: a thousand videos in one call.
insert into public.music_videos (id, release_id, title, isrc)
select extensions.uuid_generate_v4(), '21000000-0000-0000-0000-0000000000aa', 'Bulk ' || g, 'USRC1760' || lpad(g::text, 4, '0')
from generate_series(1, 1000) as g;
select is(
  (select count(*)::int from private.enqueue_music_video_syncs(
     array(select id from public.music_videos where title like 'Bulk %'), 'nightly', true, 'bulk')
   where outcome = 'created' and source = 'charts'),
  1000, 'a thousand videos, one call, a thousand charts jobs'
);
select is(
  (select count(distinct metadata ->> 'sync_id')::int from public.music_video_metric_imports
   where dedupe_key like 'bulk:%'),
  1000, 'each with its own sync group'
);

select throws_ok(
  $$select * from private.enqueue_music_video_syncs(array[]::uuid[], ' ', false)$$,
  '22023', 'A sync needs a trigger (manual, nightly, ...)', 'a trigger is required'
);

select * from finish();
rollback;
