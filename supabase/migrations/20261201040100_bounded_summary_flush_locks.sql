-- The card-summary flush at commit (20261124015600) took one advisory lock per noted video: a
-- nightly enqueue of more than ~6,000 videos (every import row notes its video) ran out of shared
-- lock memory ("out of shared memory ... increase max_locks_per_transaction") and rolled back the
-- whole night. Now the flush locks stripes instead of videos: a video's stripe is a hash of its id
-- modulo 256, so a transaction takes at most 256 advisory locks whatever it touched, still in one
-- ascending batch (no cycles between flushes), and two flushes of the same video still serialise.
-- Two flushes of different videos on one stripe wait for each other's commit; a flush is short.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The deferred flush: lock the stripes of every noted video in stripe order, recompute, forget.
create or replace function private.flush_music_video_metric_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  select array_agg(distinct x.id::uuid order by x.id::uuid)
  into v_ids
  from unnest(string_to_array(nullif(current_setting('mv.metric_summary_dirty', true), ''), ',')) as x (id);
  perform set_config('mv.metric_summary_dirty', '', true);
  delete from private.music_video_metric_summary_flushes as f where f.txid = new.txid;
  if v_ids is null then
    return null;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('music_video_metric_summaries:stripe', s.stripe))
  from (
    select distinct abs(hashtextextended(x.id::text, 0) % 256) as stripe
    from unnest(v_ids) as x (id)
  ) as s
  order by s.stripe;
  perform private.refresh_music_video_metric_summaries(v_ids);
  return null;
end
$$;
revoke all on function private.flush_music_video_metric_summaries() from public;
