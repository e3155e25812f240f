-- The store of the release timeline's lanes (see 20261202000000 for the design): the lanes'
-- table, the rebuild of given videos' lanes (serialised per video), the nightly's step, and the
-- triggers that note every write changing a lane and rebuild the noted lanes at commit.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- A video's timeline lane: its items (public.music_video_timeline_item objects, 20261201050000)
-- in lane order, and the figures the read returns beside them. Whole-timeline lanes only (a
-- window is filtered live). valid_from..valid_until (inclusive, +-infinity) are the as_of dates
-- for which items is exact: overdue is the only field that depends on as_of, and it flips only
-- when as_of passes the date of an item still pending (not done, video not archived), so the
-- range runs from the day after the latest pending item before computed_for to the earliest
-- pending item on or after it. A lane without pending items is valid on every day.
create table private.music_video_timeline_lanes (
  music_video_id uuid primary key references public.music_videos (id) on delete cascade,
  computed_for date not null,
  valid_from date not null,
  valid_until date not null,
  first_date date,
  last_date date,
  item_count integer not null,
  overdue_count integer not null,
  items json not null,
  computed_at timestamptz not null default now(),
  constraint music_video_timeline_lanes_valid_range
  check (valid_from <= computed_for and computed_for <= valid_until)
);
-- lz4: a lane is a few KB of repetitive JSON, stored compressed inline; lz4 decompresses several
-- times faster than pglz, and the read decompresses every lane of the release. A server built
-- without lz4 keeps its default (pglz): only slower.
do $$
begin
  alter table private.music_video_timeline_lanes alter column items set compression lz4;
exception
  when feature_not_supported then
    raise notice 'lz4 is not available here; the timeline lanes keep the default compression';
end
$$;
-- The nightly finds the lanes whose range has ended.
create index music_video_timeline_lanes_valid_until_idx on private.music_video_timeline_lanes (valid_until);

-- Only the security-definer functions below read and write it (the read after its access check).
alter table private.music_video_timeline_lanes enable row level security;
revoke all on table private.music_video_timeline_lanes from public, anon, authenticated, service_role;
-- Nobody reads it through the API; the policy states that (splinter wants one per RLS table).
create policy "Nobody reads timeline lanes directly" on private.music_video_timeline_lanes
for select to authenticated using (false);

-- One row per transaction with a lane flush pending; the deferred trigger on it rebuilds the
-- noted lanes at commit and removes the row, so the table stays empty (as
-- music_video_metric_summary_flushes and music_video_plan_checks).
create table private.music_video_timeline_flushes (
  txid bigint primary key default txid_current(),
  created_at timestamptz not null default now()
);
alter table private.music_video_timeline_flushes enable row level security;
revoke all on table private.music_video_timeline_flushes from public, anon, authenticated;
grant all on table private.music_video_timeline_flushes to service_role;
-- Nobody reads it through the API; the policy states that (splinter wants one per RLS table).
create policy "Nobody reads pending timeline flushes" on private.music_video_timeline_flushes
for select to authenticated using (false);

-- Rebuild the lanes of the given videos as of p_as_of (default: today, UTC) and store them; the
-- lane of a video that no longer exists is dropped. Two rebuilds of one video must not both
-- compute from before the other's commit (the later store would lose the earlier write), so the
-- videos' stripes (a hash of the id modulo 1024, at most 1,024 advisory locks whatever the batch)
-- are locked first, in ascending order (no cycles between rebuilds), and the lanes computed by
-- the next statement, on a snapshot that includes whatever a concurrent writer committed first.
-- Returns the number of lanes stored.
create or replace function private.refresh_music_video_timeline_lanes(p_music_video_ids uuid[], p_as_of date default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_as_of date := coalesce(p_as_of, timezone('utc', now())::date);
  v_count integer;
begin
  if coalesce(cardinality(p_music_video_ids), 0) = 0 then
    return 0;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('music_video_timeline_lanes:stripe', s.stripe))
  from (
    select distinct abs(hashtextextended(x.id::text, 0) % 1024) as stripe
    from unnest(p_music_video_ids) as x (id)
  ) as s
  order by s.stripe;
  insert into private.music_video_timeline_lanes as l (
    music_video_id, computed_for, valid_from, valid_until, first_date, last_date, item_count, overdue_count,
    items, computed_at
  )
  select
    b.music_video_id, v_as_of, b.valid_from, b.valid_until, b.first_date, b.last_date, b.item_count,
    b.overdue_count, b.items, now()
  from private.music_video_timeline_build(p_music_video_ids, v_as_of) as b
  on conflict (music_video_id) do update
  set computed_for = excluded.computed_for,
    valid_from = excluded.valid_from,
    valid_until = excluded.valid_until,
    first_date = excluded.first_date,
    last_date = excluded.last_date,
    item_count = excluded.item_count,
    overdue_count = excluded.overdue_count,
    items = excluded.items,
    computed_at = excluded.computed_at;
  get diagnostics v_count = row_count;
  delete from private.music_video_timeline_lanes as l
  where l.music_video_id = any(p_music_video_ids)
    and not exists (select 1 from public.music_videos as v where v.id = l.music_video_id);
  return v_count;
end
$$;
revoke all on function private.refresh_music_video_timeline_lanes(uuid[], date) from public;

-- The nightly's step: of the videos after p_after in id order (p_limit of them), rebuild the lanes
-- that are missing or not valid on p_as_of (p_force: all of them, e.g. after a bulk load with
-- triggers off). Returns the last id looked at (null: done), how many videos were looked at and
-- how many lanes were rebuilt; the caller repeats with p_after = last_id, one short transaction per step. Idempotent: a second
-- pass on the same day rebuilds nothing.
create or replace function private.refresh_music_video_timeline_step(
  p_as_of date default null, p_after uuid default null, p_limit integer default 1000, p_force boolean default false
)
returns table (last_id uuid, scanned integer, refreshed integer)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_as_of date := coalesce(p_as_of, timezone('utc', now())::date);
  v_ids uuid[];
  v_last uuid;
  v_stale uuid[];
begin
  select array_agg(v.id order by v.id)
  into v_ids
  from (
    select mv.id from public.music_videos as mv
    where p_after is null or mv.id > p_after
    order by mv.id
    limit greatest(p_limit, 1)
  ) as v;
  if v_ids is null then
    return query select null::uuid, 0, 0;
    return;
  end if;
  v_last := v_ids[cardinality(v_ids)];
  select array_agg(x.id order by x.id)
  into v_stale
  from unnest(v_ids) as x (id)
  left join private.music_video_timeline_lanes as l on x.id = l.music_video_id
  where p_force or l.music_video_id is null or v_as_of not between l.valid_from and l.valid_until;
  return query select v_last, cardinality(v_ids), private.refresh_music_video_timeline_lanes(v_stale, v_as_of);
end
$$;
revoke all on function private.refresh_music_video_timeline_step(date, uuid, integer, boolean) from public;
grant execute on function private.refresh_music_video_timeline_step(date, uuid, integer, boolean) to service_role;

-- Notes videos whose lane changed (mv.timeline_dirty: comma-separated ids, transaction-local, so
-- a rolled-back savepoint forgets its own notes) and schedules the one flush of the transaction.
create or replace function private.note_music_video_timelines(p_ids text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_ids is null then
    return;
  end if;
  perform set_config('mv.timeline_dirty',
    concat_ws(',', nullif(current_setting('mv.timeline_dirty', true), ''), p_ids), true);
  insert into private.music_video_timeline_flushes (txid) values (txid_current())
  on conflict (txid) do nothing;
end
$$;
revoke all on function private.note_music_video_timelines(text) from public;

-- Statement trigger on the milestones and promo events: every write notes its videos (every
-- role: the cache must follow service-role and owner writes too).
create or replace function private.note_music_video_timeline_children()
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
  perform private.note_music_video_timelines(v_ids);
  return null;
end
$$;
revoke all on function private.note_music_video_timeline_children() from public;

-- Statement trigger on music_videos: a new video with a date, and a change of the status or of a
-- date the timeline shows, note the video. (A new video without dates has no items yet; its lane
-- is built live until the nightly stores it. Title changes need nothing: the read takes the
-- lane's title from the video. Deleting a video drops its lane by the foreign key.)
create or replace function private.note_music_video_timeline_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
begin
  if tg_op = 'INSERT' then
    select string_agg(n.id::text, ',') into v_ids
    from new_rows as n
    where coalesce(n.shoot_start_date, n.shoot_end_date, n.target_release_date) is not null;
  else
    select string_agg(n.id::text, ',') into v_ids
    from new_rows as n
    inner join old_rows as o on n.id = o.id
    where (n.status, n.shoot_start_date, n.shoot_end_date, n.target_release_date)
      is distinct from (o.status, o.shoot_start_date, o.shoot_end_date, o.target_release_date);
  end if;
  perform private.note_music_video_timelines(v_ids);
  return null;
end
$$;
revoke all on function private.note_music_video_timeline_rows() from public;

-- The deferred flush: rebuild every noted lane once, on the end state, as of today; forget.
create or replace function private.flush_music_video_timelines()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  select array_agg(distinct x.id order by x.id) into v_ids from unnest(private.music_video_timeline_noted()) as x (id);
  perform set_config('mv.timeline_dirty', '', true);
  delete from private.music_video_timeline_flushes as f where f.txid = new.txid;
  perform private.refresh_music_video_timeline_lanes(v_ids);
  return null;
end
$$;
revoke all on function private.flush_music_video_timelines() from public;

create trigger note_timeline_on_insert after insert on public.music_video_milestones
referencing new table as new_rows
for each statement execute function private.note_music_video_timeline_children();
create trigger note_timeline_on_update after update on public.music_video_milestones
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_timeline_children();
create trigger note_timeline_on_delete after delete on public.music_video_milestones
referencing old table as old_rows
for each statement execute function private.note_music_video_timeline_children();

create trigger note_timeline_on_insert after insert on public.music_video_promo_events
referencing new table as new_rows
for each statement execute function private.note_music_video_timeline_children();
create trigger note_timeline_on_update after update on public.music_video_promo_events
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_timeline_children();
create trigger note_timeline_on_delete after delete on public.music_video_promo_events
referencing old table as old_rows
for each statement execute function private.note_music_video_timeline_children();

create trigger note_timeline_on_insert after insert on public.music_videos
referencing new table as new_rows
for each statement execute function private.note_music_video_timeline_rows();
create trigger note_timeline_on_update after update on public.music_videos
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_timeline_rows();

create constraint trigger flush_at_commit
after insert on private.music_video_timeline_flushes
deferrable initially deferred
for each row execute function private.flush_music_video_timelines();
