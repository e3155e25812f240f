-- The one sync rule (20261130020000) at nightly scale: a deduplicated run (the nightly's
-- 'nightly:<date>' prefix) checked "not already served under this key" as
--   where p_dedupe_prefix is null or not exists (...)
-- which PostgreSQL cannot turn into an anti join (the OR), so it ran a correlated subplan per
-- (video, source); planned on a young or freshly emptied queue table that subplan is a sequential
-- scan, and as the one INSERT fills the table each scan reads every row inserted so far: 100,000
-- videos did not finish in ten minutes. Now the prefix test sits inside the NOT EXISTS (an anti
-- join: hashed once or an index probe per pair, whatever the statistics say), and the read-back of
-- skipped pairs finds this run's job through the unique dedupe_key index first, looking into
-- served_dedupe_keys only for pairs that have none; and a source that p_sources leaves out is not
-- looked for at all (the nightly's charts call over every scheduled video probed each one's
-- YouTube target only to drop the pair afterwards). Behaviour is unchanged.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Enqueues one import job per (video, source) the videos sync, set-based (one insert for all
-- videos; the nightly covers every scheduled video at once). The rule:
--   youtube: a YouTube target with its video id, and, on a scheduled run (p_scheduled), with
--            auto_sync; a manual request ignores auto_sync;
--   charts:  a chart target or a chart matching key (ISRC, Spotify URI, Apple Music id).
-- p_sources narrows the sources (null: all). A live job (pending or processing) of the same video
-- and source is reused (music_video_metric_imports_one_live_sync_idx). With p_dedupe_prefix, each
-- job gets dedupe_key '<prefix>:<video>:<source>' and sync_id '<prefix>:<video>', so a second run
-- with the same prefix enqueues nothing (already_enqueued); otherwise sync_id is a fresh request
-- id per call. triggered_by is not an argument: the queue's own trigger takes it from the JWT.
-- A live job reused by a deduplicated run notes the run's key (metadata.served_dedupe_keys), so a
-- re-run of the same prefix (the nightly catch-up after a restart) answers already_enqueued even
-- after that job has finished, instead of enqueuing the video twice for one night.
-- Returns one row per (video, source): the job, outcome created / reused / already_enqueued, and
-- the job's status. A live job that finishes between the insert and the read-back is retried;
-- if one still cannot be settled after five rounds, PT409.
create or replace function private.enqueue_music_video_syncs(
  p_video_ids uuid[],
  p_trigger text,
  p_scheduled boolean,
  p_dedupe_prefix text default null,
  p_sources text[] default null
)
returns table (
  music_video_id uuid, source text, import_id uuid, outcome text, status public.import_status_enum
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_sync text := coalesce(p_dedupe_prefix, replace(pg_catalog.gen_random_uuid()::text, '-', ''));
  -- the (video, source) pairs still to settle, as parallel arrays
  v_vids uuid[];
  v_srcs text[];
  -- the answer so far, as parallel arrays
  r_vids uuid[] := '{}';
  r_srcs text[] := '{}';
  r_ids uuid[] := '{}';
  r_outcomes text[] := '{}';
  r_statuses public.import_status_enum[] := '{}';
begin
  if p_trigger is null or btrim(p_trigger) = '' then
    raise exception using errcode = '22023', message = 'A sync needs a trigger (manual, nightly, ...)';
  end if;

  select coalesce(array_agg(w.vid order by w.vid, w.src), '{}'), coalesce(array_agg(w.src order by w.vid, w.src), '{}')
  into v_vids, v_srcs
  from (
    select v.id as vid, 'youtube' as src
    from public.music_videos as v
    where (p_sources is null or 'youtube' = any(p_sources))
      and v.id = any(p_video_ids)
      and exists (
        select 1
        from public.music_video_platform_targets as t
        where t.music_video_id = v.id and t.platform = 'youtube' and t.external_id is not null
          and (t.auto_sync or not p_scheduled)
      )
    union all
    select v.id, 'charts'
    from public.music_videos as v
    where (p_sources is null or 'charts' = any(p_sources))
      and v.id = any(p_video_ids)
      and (v.kpi_chart_target is not null or v.spotify_track_uri is not null
        or v.apple_music_id is not null or v.isrc is not null)
  ) as w
  where p_sources is null or w.src = any(p_sources);

  for attempt in 1..5 loop
    exit when cardinality(v_vids) = 0;
    -- Insert every pair at once, in a fixed order so concurrent runs wait on each other instead
    -- of deadlocking; a pair already live, or already enqueued under its dedupe key, is skipped.
    with ins as (
      insert into public.music_video_metric_imports as i
        (music_video_id, platform, source, dedupe_key, metadata)
      select
        w.vid, case w.src when 'youtube' then 'youtube'::public.platform_enum end, w.src,
        p_dedupe_prefix || ':' || w.vid::text || ':' || w.src,
        jsonb_build_object('trigger', p_trigger, 'sync_id', v_sync || ':' || w.vid::text)
      from unnest(v_vids, v_srcs) as w (vid, src)
      where not exists (
        select 1 from public.music_video_metric_imports as s
        where p_dedupe_prefix is not null and s.music_video_id = w.vid and s.source = w.src
          and s.metadata -> 'served_dedupe_keys' ? (p_dedupe_prefix || ':' || w.vid::text || ':' || w.src)
      )
      order by w.vid, w.src
      on conflict do nothing
      returning i.music_video_id, i.source, i.id, i.status
    )
    select
      r_vids || coalesce(array_agg(ins.music_video_id) filter (where ins.id is not null), '{}'),
      r_srcs || coalesce(array_agg(ins.source) filter (where ins.id is not null), '{}'),
      r_ids || coalesce(array_agg(ins.id) filter (where ins.id is not null), '{}'),
      r_outcomes || coalesce(array_agg('created'::text) filter (where ins.id is not null), '{}'),
      r_statuses || coalesce(array_agg(ins.status) filter (where ins.id is not null), '{}'),
      coalesce(array_agg(w.vid) filter (where ins.id is null), '{}'),
      coalesce(array_agg(w.src) filter (where ins.id is null), '{}')
    into r_vids, r_srcs, r_ids, r_outcomes, r_statuses, v_vids, v_srcs
    from unnest(v_vids, v_srcs) as w (vid, src)
    left join ins on ins.music_video_id = w.vid and ins.source = w.src;

    exit when cardinality(v_vids) = 0;
    -- The skipped pairs, read back in a new statement (it sees jobs that concurrent callers
    -- committed while the insert waited on them): the job of this dedupe key, else the live job.
    select
      r_vids || coalesce(array_agg(w.vid) filter (where j.id is not null), '{}'),
      r_srcs || coalesce(array_agg(w.src) filter (where j.id is not null), '{}'),
      r_ids || coalesce(array_agg(j.id) filter (where j.id is not null), '{}'),
      r_outcomes || coalesce(array_agg(j.outcome) filter (where j.id is not null), '{}'),
      r_statuses || coalesce(array_agg(j.status) filter (where j.id is not null), '{}'),
      coalesce(array_agg(w.vid) filter (where j.id is null), '{}'),
      coalesce(array_agg(w.src) filter (where j.id is null), '{}')
    into r_vids, r_srcs, r_ids, r_outcomes, r_statuses, v_vids, v_srcs
    from unnest(v_vids, v_srcs) as w (vid, src)
    left join public.music_video_metric_imports as k
      on k.dedupe_key = p_dedupe_prefix || ':' || w.vid::text || ':' || w.src
    left join lateral (
      select x.id, x.status
      from public.music_video_metric_imports as x
      where k.id is null and x.music_video_id = w.vid and x.source = w.src
        and x.metadata -> 'served_dedupe_keys' ? (p_dedupe_prefix || ':' || w.vid::text || ':' || w.src)
      limit 1
    ) as s on true
    cross join lateral (select coalesce(k.id, s.id) as id, coalesce(k.status, s.status) as status) as d
    left join public.music_video_metric_imports as l
      on l.music_video_id = w.vid and l.source = w.src and l.status in ('pending', 'processing')
    cross join lateral (
      select
        coalesce(d.id, l.id) as id,
        case when d.id is not null then 'already_enqueued' else 'reused' end as outcome,
        coalesce(d.status, l.status) as status
    ) as j;
  end loop;

  if cardinality(v_vids) > 0 then
    raise exception using
      errcode = 'PT409',
      message = 'The sync could not be queued; try again',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'music_video_id', 'busy', 'A sync job of this music video changed while it was queued; try again.',
        jsonb_build_object('music_video_id', v_vids[1], 'source', v_srcs[1]))))::text;
  end if;

  -- A live job reused by a deduplicated run serves that run: note its key on the job, so a
  -- re-run of the same prefix (the nightly catch-up) answers already_enqueued after the job
  -- has finished, instead of enqueuing the video a second time for the same night.
  if p_dedupe_prefix is not null then
    update public.music_video_metric_imports as i
    set metadata = jsonb_set(
      i.metadata, '{served_dedupe_keys}',
      coalesce(i.metadata -> 'served_dedupe_keys', '[]'::jsonb)
      || to_jsonb(p_dedupe_prefix || ':' || r.vid::text || ':' || r.src)
    )
    from unnest(r_vids, r_srcs, r_ids, r_outcomes) as r (vid, src, id, outcome)
    where i.id = r.id and r.outcome = 'reused';
  end if;

  return query
  select r.vid, r.src, r.id, r.outcome, r.status
  from unnest(r_vids, r_srcs, r_ids, r_outcomes, r_statuses) as r (vid, src, id, outcome, status)
  order by r.vid, r.src;
end
$$;
revoke all on function private.enqueue_music_video_syncs(uuid[], text, boolean, text, text[]) from public;
grant execute on function private.enqueue_music_video_syncs(uuid[], text, boolean, text, text[])
to service_role;
