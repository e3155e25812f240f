-- Sync status a person can read (issue "Analytics a release manager can trust"): a sync
-- requested while a source is paused (private.worker_source_pauses: the worker pauses YouTube
-- until midnight Pacific on quotaExceeded) sat "pending" for up to a day and the owner's import
-- row said nothing. Now every pending import of a paused source carries
--   metadata.waiting = {"source", "until", "message": "waiting for the YouTube quota reset at ..."}
-- which the owner reads under the imports' RLS. It is set when the pause starts (the worker's
-- pause updates the pending rows), when the worker defers a claimed batch, and when a job is
-- enqueued during a pause (by any path: private.enqueue_music_video_syncs, the chart backfill,
-- an admin re-import); such a new job also gets run_after = the pause's end and the message as
-- its error_message. It is removed as soon as the job leaves 'pending' (claimed) or no pause
-- applies any more. One trigger, so no enqueue path can forget it.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- security definer: the pause table is readable by admins only, and the owner's own enqueue
-- (through the security definer enqueue) or the worker's updates must see it. It reads one row of
-- the pause table and touches only the row being written.
create or replace function private.mark_import_waiting_on_pause()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_until timestamptz;
  v_message text;
begin
  if new.status = 'pending' then
    select p.paused_until into v_until
    from private.worker_source_pauses as p
    where p.source = new.source and p.paused_until > now();
  end if;
  if v_until is null then
    if new.metadata ? 'waiting' then
      new.metadata := new.metadata - 'waiting';
    end if;
    return new;
  end if;
  v_message := 'waiting for the '
    || case new.source when 'youtube' then 'YouTube' else new.source end
    || ' quota reset at ' || to_char(v_until at time zone 'utc', 'YYYY-MM-DD HH24:MI') || ' UTC';
  new.metadata := coalesce(new.metadata, '{}'::jsonb) || jsonb_build_object('waiting', jsonb_build_object(
    'source', new.source, 'until', v_until, 'message', v_message
  ));
  if tg_op = 'INSERT' then
    new.run_after := greatest(new.run_after, v_until);
    new.error_message := coalesce(new.error_message, v_message);
  end if;
  return new;
end
$$;
revoke all on function private.mark_import_waiting_on_pause() from public;

create trigger music_video_metric_imports_waiting_on_insert
before insert on public.music_video_metric_imports
for each row
when (new.status = 'pending')
execute function private.mark_import_waiting_on_pause();

-- Only rows that are (still) pending or carry the note pay for the check: claims, heartbeats and
-- finishes of ordinary jobs skip it.
create trigger music_video_metric_imports_waiting_on_update
before update on public.music_video_metric_imports
for each row
when (new.status = 'pending' or old.metadata ? 'waiting')
execute function private.mark_import_waiting_on_pause();
