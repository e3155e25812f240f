-- The card-summary flush at commit (20261124015600, 20261124015700) at nightly scale.
--
-- 1. It took one advisory lock per noted video: a nightly enqueue of more than ~6,000 videos
--    (every import row notes its video) ran out of shared lock memory ("out of shared memory ...
--    increase max_locks_per_transaction") and rolled back the whole night. Now the flush locks
--    stripes instead of videos: a video's stripe is a hash of its id modulo 256, so a transaction
--    takes at most 256 advisory locks whatever it touched, still in one ascending batch (no
--    cycles between flushes), and two flushes of the same video still serialise. Two flushes of
--    different videos on one stripe wait for each other's commit; a flush is short.
-- 2. Inserting an import changes only the card's "last sync", yet it noted its video for the
--    full recompute (the latest metric row of every platform, seven index probes a video); at
--    half a million jobs a night that was the largest part of the enqueue. Now an INSERT of
--    import rows notes its videos apart (mv.metric_summary_sync_dirty) and the flush recomputes
--    only their latest import, unless the transaction also noted them for the full recompute.
--    Updates and deletes of imports, and every metric change, still note the full recompute.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The card's last sync of the given videos: their latest import, upserted into the summary (a
-- video with no summary yet gets a row with only its last sync, as the full recompute gives it).
create or replace function private.refresh_music_video_sync_summaries(p_music_video_ids uuid[])
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into private.music_video_metric_summaries as s (
    music_video_id, last_sync_id, last_sync_source, last_sync_status, last_sync_created_at,
    last_sync_completed_at, last_sync_error, updated_at
  )
  select x.id, i.id, i.source, i.status, i.created_at, i.completed_at, i.error_message, now()
  from unnest(p_music_video_ids) as x (id)
  cross join lateral (
    select ii.id, ii.source, ii.status, ii.created_at, ii.completed_at, ii.error_message
    from public.music_video_metric_imports as ii
    where ii.music_video_id = x.id
    order by ii.created_at desc
    limit 1
  ) as i
  on conflict (music_video_id) do update
  set last_sync_id = excluded.last_sync_id,
    last_sync_source = excluded.last_sync_source,
    last_sync_status = excluded.last_sync_status,
    last_sync_created_at = excluded.last_sync_created_at,
    last_sync_completed_at = excluded.last_sync_completed_at,
    last_sync_error = excluded.last_sync_error,
    updated_at = excluded.updated_at
$$;
revoke all on function private.refresh_music_video_sync_summaries(uuid[]) from public;

-- Statement trigger on music_video_metric_imports: inserted rows note their videos for the last
-- sync only; updates (status, completion, error, video) and deletes for the full recompute.
create or replace function private.note_music_video_import_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
begin
  if tg_op = 'INSERT' then
    select string_agg(distinct n.music_video_id::text, ',') into v_ids
    from new_rows as n
    where n.music_video_id is not null;
    if v_ids is not null then
      perform set_config(
        'mv.metric_summary_sync_dirty',
        concat_ws(',', nullif(current_setting('mv.metric_summary_sync_dirty', true), ''), v_ids),
        true
      );
      insert into private.music_video_metric_summary_flushes (txid) values (txid_current())
      on conflict (txid) do nothing;
    end if;
    return null;
  elsif tg_op = 'UPDATE' then
    select string_agg(distinct x.id::text, ',') into v_ids
    from (
      select n.music_video_id as id
      from new_rows as n
      inner join old_rows as o on n.id = o.id
      where (n.status, n.completed_at, n.error_message, n.music_video_id)
        is distinct from (o.status, o.completed_at, o.error_message, o.music_video_id)
      union all
      select o.music_video_id
      from new_rows as n
      inner join old_rows as o on n.id = o.id
      where n.music_video_id is distinct from o.music_video_id
    ) as x
    where x.id is not null;
  else
    select string_agg(distinct o.music_video_id::text, ',') into v_ids
    from old_rows as o
    where o.music_video_id is not null;
  end if;
  perform private.mark_music_video_summaries_dirty(v_ids);
  return null;
end
$$;
revoke all on function private.note_music_video_import_summaries() from public;

-- The deferred flush: lock the stripes of every noted video in stripe order, recompute in full
-- what was noted for it, the last sync alone for the rest, forget.
create or replace function private.flush_music_video_metric_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_sync_ids uuid[];
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
  perform pg_advisory_xact_lock(hashtextextended('music_video_metric_summaries:stripe', s.stripe))
  from (
    select distinct abs(hashtextextended(x.id::text, 0) % 256) as stripe
    from unnest(coalesce(v_ids, '{}') || coalesce(v_sync_ids, '{}')) as x (id)
  ) as s
  order by s.stripe;
  if v_ids is not null then
    perform private.refresh_music_video_metric_summaries(v_ids);
  end if;
  if v_sync_ids is not null then
    perform private.refresh_music_video_sync_summaries(v_sync_ids);
  end if;
  return null;
end
$$;
revoke all on function private.flush_music_video_metric_summaries() from public;
