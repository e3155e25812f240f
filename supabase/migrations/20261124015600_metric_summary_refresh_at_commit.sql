-- Keeps the card-metric summaries (20261124015500) current: refreshed once per transaction, at
-- commit, not after each statement. A per-statement refresh would take its per-video advisory
-- locks in one ordered batch per statement, and an upsert fires two statement triggers (insert,
-- update): two workers upserting overlapping videos could take their batches in crossing orders
-- and deadlock. So the statement triggers only note the touched videos (a transaction-local
-- setting) and schedule one deferred flush; at commit the flush takes every lock the transaction
-- needs in a single id-ordered batch (holding no other advisory lock meanwhile), so flushes
-- cannot wait on each other in a cycle, and it recomputes on a fresh snapshot that includes
-- whatever a concurrent writer of the same video committed first.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One row per transaction that has a flush pending; the deferred trigger on it runs the flush at
-- commit and removes the row, so the table stays empty.
create table private.music_video_metric_summary_flushes (
  txid bigint primary key default txid_current(),
  created_at timestamptz not null default now()
);
alter table private.music_video_metric_summary_flushes enable row level security;
revoke all on table private.music_video_metric_summary_flushes from anon, authenticated;
grant all on table private.music_video_metric_summary_flushes to service_role;
-- Nobody reads it through the API; the policy states that (splinter wants one per RLS table).
create policy "Nobody reads pending summary flushes" on private.music_video_metric_summary_flushes
for select to authenticated using (false);

-- Notes videos whose card summary is stale (a comma-separated id list) and schedules the one
-- flush of this transaction at commit. Shared by the metrics and the imports triggers.
create or replace function private.mark_music_video_summaries_dirty(p_ids text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_ids is null then
    return;
  end if;
  perform set_config(
    'mv.metric_summary_dirty',
    concat_ws(',', nullif(current_setting('mv.metric_summary_dirty', true), ''), p_ids),
    true
  );
  insert into private.music_video_metric_summary_flushes (txid) values (txid_current())
  on conflict (txid) do nothing;
end
$$;
revoke all on function private.mark_music_video_summaries_dirty(text) from public;

-- Statement trigger on music_video_metrics: remember the touched videos for this transaction
-- (mv.metric_summary_dirty, comma-separated, transaction-local, so a rolled-back savepoint
-- forgets its own) and schedule the flush once.
create or replace function private.note_music_video_metric_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
begin
  if tg_op = 'INSERT' then
    select string_agg(distinct n.music_video_id::text, ',') into v_ids from new_rows as n;
  elsif tg_op = 'UPDATE' then
    select string_agg(distinct x.id::text, ',') into v_ids
    from (
      select n.music_video_id as id from new_rows as n
      union all
      select o.music_video_id from old_rows as o
    ) as x;
  else
    select string_agg(distinct o.music_video_id::text, ',') into v_ids from old_rows as o;
  end if;
  perform private.mark_music_video_summaries_dirty(v_ids);
  return null;
end
$$;
revoke all on function private.note_music_video_metric_summaries() from public;

-- The deferred flush: lock every noted video in id order, recompute, forget.
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
  perform pg_advisory_xact_lock(hashtextextended('music_video_metric_summaries:' || x.id::text, 0))
  from unnest(v_ids) as x (id)
  order by x.id;
  perform private.refresh_music_video_metric_summaries(v_ids);
  return null;
end
$$;
revoke all on function private.flush_music_video_metric_summaries() from public;

create trigger note_metric_summaries_on_insert
after insert on public.music_video_metrics
referencing new table as new_rows
for each statement execute function private.note_music_video_metric_summaries();
create trigger note_metric_summaries_on_update
after update on public.music_video_metrics
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_metric_summaries();
create trigger note_metric_summaries_on_delete
after delete on public.music_video_metrics
referencing old table as old_rows
for each statement execute function private.note_music_video_metric_summaries();

create constraint trigger flush_at_commit
after insert on private.music_video_metric_summary_flushes
deferrable initially deferred
for each row execute function private.flush_music_video_metric_summaries();
