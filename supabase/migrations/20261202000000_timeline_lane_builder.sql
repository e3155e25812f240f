-- The release timeline, one lane per video, with each lane's items kept pre-serialised (issue
-- "The planning workspace, complete", Speed: 200 videos x 20 milestones, p95 under 5 ms as the
-- owner). The typed rows of 20261201050000 cost ~7 ms of CPU to compute and ~11.5 ms for
-- PostgREST's json_agg of 5,000 composite rows: over the budget before any work. So:
--   * one builder, private.music_video_timeline_build, is the single home of the timeline's rules
--     (the derived items from the video's dates, done/overdue, cancelled promos left out, the
--     order of a lane's items) and returns a video's items as one json array;
--   * private.music_video_timeline_lanes (20261202000010) keeps that array per video (json, not
--     jsonb: PostgREST's json_agg copies its text as it is), with the range of days it is exact for;
--   * every write that changes what a lane shows notes its video (statement triggers on the
--     milestones, the promo events and the video's own dates and status); at commit one deferred
--     flush rebuilds the noted lanes, and a read in the same transaction builds them live;
--   * the nightly (workers/scheduler.py) rebuilds the lanes whose range has ended.
-- The read (20261202000100) falls back to the builder for a lane that is missing, noted or out of
-- its range, so the answer never depends on the cache; only its speed does.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- A lane's item: the lane carries the video's id, so its items no longer repeat it (18% of the
-- whole timeline's JSON). The item rows' RPC (20261201050000) is replaced by the lanes' in
-- 20261202000100. No stored data has this type (it is a function result only).
-- squawk-ignore ban-drop-column
alter type public.music_video_timeline_item drop attribute music_video_id;

-- The one home of the timeline's rules: the lanes of the given videos as of p_as_of, their
-- items dated within p_from..p_to (inclusive; null: unbounded). A lane's items are
-- music_video_timeline_item objects (date, kind, source, id, label, owner_id, done, done_at,
-- overdue, starts_at, time_zone, platform) ordered by date,
-- then the kinds' lifecycle order (shoot_start, shoot_end, edit_lock, picture_lock, delivery,
-- release, promo, custom), then promo start, then id (derived items, without id, last). Items:
--   video       the video's shoot start, shoot end and release dates (a date not set gives no
--               item), done once the video moved past them (in_production for the shoot start,
--               post_production for the shoot end, released for the release; all for archived);
--   milestone   a stored milestone;
--   promo_event a live promo event on its local date in its time zone (kind promo, label the
--               promo kind, done null, overdue false); cancelled events are left out.
-- overdue = date before p_as_of, not done, and the video not archived. One row per existing
-- video (a video without items has items []); ids of missing videos give no row. TimeZone is
-- pinned so that timestamps print the same whoever builds the lane (cache and live agree).
-- plpgsql, not sql: a non-inlined SQL function is planned on every call; plpgsql keeps the plan.
create or replace function private.music_video_timeline_build(
  p_music_video_ids uuid[], p_as_of date, p_from date default null, p_to date default null
)
returns table (
  music_video_id uuid,
  items json,
  first_date date,
  last_date date,
  item_count integer,
  overdue_count integer,
  valid_from date,
  valid_until date
)
language plpgsql
stable
set search_path = ''
set timezone = 'UTC'
as $$
begin
  return query
  with videos as materialized (
    select
      v.id, v.status, v.shoot_start_date, v.shoot_end_date, v.target_release_date,
      v.status <> 'archived' as live
    from public.music_videos as v
    where v.id = any(p_music_video_ids)
  ),

  items as (
    select
      v.id as vid, d.due as date, d.kind, 'video'::public.music_video_timeline_source as source,
      null::uuid as id, null::text as label, null::uuid as owner_id, d.done, null::timestamptz as done_at,
      null::timestamptz as starts_at, null::text as time_zone, null::public.platform_enum as platform,
      d.ord, not d.done and v.live as pending
    from videos as v
    cross join lateral (
      values
      (v.shoot_start_date, 'shoot_start'::public.music_video_milestone_kind, 1,
        v.status in ('in_production', 'post_production', 'released', 'archived')),
      (v.shoot_end_date, 'shoot_end'::public.music_video_milestone_kind, 2,
        v.status in ('post_production', 'released', 'archived')),
      (v.target_release_date, 'release'::public.music_video_milestone_kind, 6, v.status in ('released', 'archived'))
    ) as d (due, kind, ord, done)
    where d.due is not null
    union all
    select
      v.id, m.due_date, m.kind, 'milestone', m.id, m.label, m.owner_id, m.done, m.done_at,
      null, null, null,
      case m.kind when 'edit_lock' then 3 when 'picture_lock' then 4 when 'delivery' then 5 when 'promo' then 7 else 8 end,
      not m.done and v.live
    from videos as v
    inner join public.music_video_milestones as m on v.id = m.music_video_id
    union all
    select
      v.id, (pe.starts_at at time zone pe.time_zone)::date, 'promo', 'promo_event', pe.id, pe.kind::text, null,
      null, null, pe.starts_at, pe.time_zone, pe.platform, 7, false
    from videos as v
    inner join public.music_video_promo_events as pe on v.id = pe.music_video_id and pe.cancelled_at is null
  ),

  kept as (
    select
      i.*,
      i.pending and i.date < p_as_of as overdue
    from items as i
    where i.date between coalesce(p_from, '-infinity'::date) and coalesce(p_to, 'infinity'::date)
  ),

  -- Every lane's items in lane order, sorted once: the aggregates below take them in this order
  -- (an ORDER BY inside json_agg would start one sort per video on PostgreSQL 15).
  ordered as (
    select
      v.id as lane, k.*
    from videos as v
    left join kept as k on v.id = k.vid
    order by v.id, k.date, k.ord, k.starts_at, k.id
  )

  select
    o.lane,
    -- Fields that do not apply to an item (null) are left out: a third of the JSON (1.26 ->
    -- 0.86 MB for the benchmark's 200-video release), which PostgREST copies on every read.
    coalesce(
      json_strip_nulls(json_agg(
        (o.date, o.kind, o.source, o.id, o.label, o.owner_id, o.done, o.done_at, o.overdue,
          o.starts_at, o.time_zone, o.platform)::public.music_video_timeline_item
      ) filter (where o.vid is not null)),
      '[]'::json
    ),
    min(o.date),
    max(o.date),
    count(o.vid)::integer,
    (count(*) filter (where o.overdue))::integer,
    coalesce(max(o.date) filter (where o.pending and o.date < p_as_of) + 1, '-infinity'::date),
    coalesce(min(o.date) filter (where o.pending and o.date >= p_as_of), 'infinity'::date)
  from ordered as o
  group by o.lane;
end
$$;
revoke all on function private.music_video_timeline_build(uuid[], date, date, date) from public;

-- The videos this transaction noted (its writes not yet flushed into the cache): the read builds
-- their lanes live, so a request reads its own writes before they commit.
create or replace function private.music_video_timeline_noted()
returns uuid[]
language sql
stable
set search_path = ''
as $$
  select string_to_array(nullif(current_setting('mv.timeline_dirty', true), ''), ',')::uuid[]
$$;
revoke all on function private.music_video_timeline_noted() from public;
