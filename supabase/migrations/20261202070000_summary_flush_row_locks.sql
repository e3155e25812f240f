-- The card-summary flush at commit (20261201040100) serialised every big commit with every other.
--
-- Two flushes of one video must not interleave: each recomputes from its own snapshot, so the
-- later writer could store the older state. The flush serialised them with advisory locks on 256
-- stripes of the video ids, held until commit. A queue commit of ~800 finished jobs touches nearly
-- every stripe, so the worker processes' commits, and the claims (whose commit refreshes the
-- card's last sync), took turns through each other's flush and WAL flush: at 100,000 videos that
-- was ~16 s of lock waits in an 18-24 s run (benchmarks/README.md, "Queue").
--
-- Now a flush of up to 10,000 videos (a queue commit, a claim, an edit) locks the cards themselves,
-- by row: one INSERT ... ON CONFLICT DO UPDATE ... WHERE false over the noted videos in id order
-- creates the cards that do not exist yet (empty) and locks every card, existing or new, without
-- changing it (ON CONFLICT locks the conflicting row even when its WHERE is false). A row lock lives
-- in the row, not in the shared lock table, and two such flushes of different videos never wait
-- for each other. Locking half a million cards by row (a nightly enqueue) cost ~4 s more than the
-- stripes (benchmarks/README.md), so a bigger flush still takes the stripes, exclusively; a small
-- flush takes its stripes in shared mode first, which small flushes never wait for, so a big flush
-- and a small one of the same video still take turns. Why it stays correct:
--   * two small flushes of one video: the second waits for the first's commit at the card's row
--     (or, for a card the first is creating, at its key); its refresh statements run afterwards
--     (read committed: a new snapshot each) and see what the first wrote;
--   * a big flush and any other flush of one video: exclusive against shared or exclusive stripe;
--   * no deadlock: every flush takes its stripes first, in stripe order, then (small) its rows in id
--     order, in one statement; no flush locks a card anywhere else.
-- A card created by a small flush that the refresh leaves empty (no import and no metric: before,
-- no row was written) is deleted again.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The deferred flush: lock the cards of every noted video (stripes, then rows unless the flush is
-- big), recompute in full what was noted for it, the last sync alone for the rest, forget.
create or replace function private.flush_music_video_metric_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_sync_ids uuid[];
  v_all uuid[];
  v_big boolean;
  v_created uuid[];
begin
  select array_agg(distinct x.id::uuid order by x.id::uuid)
  into v_ids
  from unnest(string_to_array(nullif(current_setting('mv.metric_summary_dirty', true), ''), ',')) as x (id);
  select array_agg(y.id order by y.id)
  into v_sync_ids
  from (
    select x.id::uuid as id
    from unnest(string_to_array(nullif(current_setting('mv.metric_summary_sync_dirty', true), ''), ',')) as x (id)
    except
    select f.id from unnest(v_ids) as f (id)
  ) as y;
  perform set_config('mv.metric_summary_dirty', '', true);
  perform set_config('mv.metric_summary_sync_dirty', '', true);
  delete from private.music_video_metric_summary_flushes as f where f.txid = new.txid;
  if v_ids is null and v_sync_ids is null then
    return null;
  end if;
  v_all := coalesce(v_ids, '{}') || coalesce(v_sync_ids, '{}');
  v_big := cardinality(v_all) > 10000;
  -- The stripes, in stripe order: exclusive for a big flush, shared (against big flushes) otherwise.
  perform case when v_big
    then pg_advisory_xact_lock(hashtextextended('music_video_metric_summaries:stripe', s.stripe))
    else pg_advisory_xact_lock_shared(hashtextextended('music_video_metric_summaries:stripe', s.stripe))
  end
  from (
    select distinct abs(hashtextextended(x.id::text, 0) % 256) as stripe
    from unnest(v_all) as x (id)
  ) as s
  order by s.stripe;
  -- A small flush: every noted card of a video that still exists, locked in id order, the
  -- missing ones created.
  if not v_big then
    with created as (
      insert into private.music_video_metric_summaries as s (music_video_id)
      select v.id
      from public.music_videos as v
      where v.id = any(v_all)
      order by v.id
      on conflict (music_video_id) do update
      set updated_at = s.updated_at
      where false
      returning s.music_video_id
    )
    select array_agg(c.music_video_id) into v_created from created as c;
  end if;
  if v_ids is not null then
    perform private.refresh_music_video_metric_summaries(v_ids);
  end if;
  if v_sync_ids is not null then
    perform private.refresh_music_video_sync_summaries(v_sync_ids);
  end if;
  if v_created is not null then
    delete from private.music_video_metric_summaries as s
    where s.music_video_id = any(v_created)
      and s.last_sync_id is null
      and s.last_collected_at is null;
  end if;
  return null;
end
$$;
revoke all on function private.flush_music_video_metric_summaries() from public;
