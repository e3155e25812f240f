-- The card-summary flush at commit (20261201040100) serialised every big commit with every other.
--
-- Two flushes of one video must not interleave: each recomputes from its own snapshot, so the
-- later writer could store the older state. The flush serialised them with advisory locks on 256
-- stripes of the video ids, held until commit. A queue commit of ~800 finished jobs touches nearly
-- every stripe, so the worker processes' commits, and the claims (whose commit refreshes the
-- card's last sync), took turns through each other's flush and WAL flush: at 100,000 videos that
-- was ~16 s of lock waits in an 18-24 s run (benchmarks/README.md, "Queue").
--
-- Now the flush locks the cards themselves, by row: one INSERT ... ON CONFLICT DO UPDATE ... WHERE
-- false over the noted videos in id order creates the cards that do not exist yet (empty) and locks
-- every card, existing or new, without changing it (ON CONFLICT locks the conflicting row even when
-- its WHERE is false). A row lock lives in the row, not in the shared lock table, so a flush may
-- lock any number of cards (the nightly's half a million), and flushes of different videos never
-- wait for each other. Two flushes of one video: the second waits for the first's commit at its
-- row (or, for a card the first is creating, at its key), and its refresh statements, which run
-- afterwards (read committed: a new snapshot each), see what the first wrote. Locks are taken in
-- id order by one statement, so two flushes cannot deadlock. A card created here that the refresh
-- leaves empty (no import and no metric: before, no row was written) is deleted again.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The deferred flush: lock the cards of every noted video, recompute in full what was noted for
-- it, the last sync alone for the rest, forget.
create or replace function private.flush_music_video_metric_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_sync_ids uuid[];
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
  -- Lock every noted card of a video that still exists, in id order, creating the missing ones.
  with created as (
    insert into private.music_video_metric_summaries as s (music_video_id)
    select v.id
    from public.music_videos as v
    where v.id = any(coalesce(v_ids, '{}') || coalesce(v_sync_ids, '{}'))
    order by v.id
    on conflict (music_video_id) do update
    set updated_at = s.updated_at
    where false
    returning s.music_video_id
  )
  select array_agg(c.music_video_id) into v_created from created as c;
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
