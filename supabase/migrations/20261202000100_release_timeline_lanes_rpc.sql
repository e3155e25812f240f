-- The release timeline as one row per video ("lane"), its items a pre-serialised json array
-- (issue "The planning workspace, complete", Speed: p95 under 5 ms as the owner for 200 videos x
-- 20 milestones). 5,000 item rows cost ~11.5 ms in PostgREST's json_agg alone; 200 lanes whose
-- items PostgREST copies as text (json) fit. The lanes come from private.music_video_timeline_lanes
-- (20261202000010) when stored for the requested day, else from the one builder, live.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One lane of the release timeline: the video's columns the Timeline draws, the lane's figures,
-- and its items (a json array of music_video_timeline_item objects, see the RPC's comment).
create type public.music_video_timeline_lane as (
  music_video_id uuid,
  title text,
  status public.video_status_enum,
  shoot_start_date date,
  shoot_end_date date,
  target_release_date date,
  first_date date,
  last_date date,
  item_count integer,
  overdue_count integer,
  items json
);
grant usage on type public.music_video_timeline_lane to authenticated, service_role;

-- The return type changes (item rows -> lanes): drop, then create (never an overload).
-- squawk-ignore ban-drop-function
drop function public.music_video_release_timeline(text, date, date, date);

-- GET the release timeline (the Timeline component): one lane per video of the release. Whole
-- timeline: each lane stored for as_of is copied as stored; a lane missing, out of its range or
-- written by this very transaction is built live by the same builder. A window (from_date /
-- to_date) builds every lane live, its items filtered. Lanes in order of their first item's date
-- (lanes without items last), then title, then id. PT404 for a release that is missing or not
-- the caller's (the one access rule, asked once); 22023 when from_date is after to_date.
-- security definer: after that single check the lanes are read without per-row policies (every
-- row read belongs to the checked release) and the cache, which no API role may read, is read.
create function public.music_video_release_timeline(
  release_id text,
  as_of date default null,
  from_date date default null,
  to_date date default null
)
returns setof public.music_video_timeline_lane
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_release uuid := private.try_uuid(btrim(music_video_release_timeline.release_id));
  v_today date := coalesce(music_video_release_timeline.as_of, timezone('utc', now())::date);
  v_from date := music_video_release_timeline.from_date;
  v_to date := music_video_release_timeline.to_date;
  v_noted uuid[];
begin
  if v_release is null or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the id; you can only see your own releases.';
  end if;
  if v_from > v_to then
    perform private.raise_bad_argument('from_date', 'after_to_date', 'from_date must not be after to_date.');
  end if;
  if v_from is not null or v_to is not null then
    return query
    with videos as materialized (
      select v.id, v.title, v.status, v.shoot_start_date, v.shoot_end_date, v.target_release_date
      from public.music_videos as v
      where v.release_id = v_release
    )

    select
      v.id, v.title, v.status, v.shoot_start_date, v.shoot_end_date, v.target_release_date,
      b.first_date, b.last_date, b.item_count, b.overdue_count, b.items
    from private.music_video_timeline_build(array(select v.id from videos as v), v_today, v_from, v_to) as b
    inner join videos as v on b.music_video_id = v.id
    order by b.first_date nulls last, v.title nulls last, v.id;
    return;
  end if;
  v_noted := coalesce(private.music_video_timeline_noted(), '{}'::uuid[]);
  return query
  with videos as materialized (
    select v.id, v.title, v.status, v.shoot_start_date, v.shoot_end_date, v.target_release_date
    from public.music_videos as v
    where v.release_id = v_release
  ),

  stored as materialized (
    select
      v.id, l.first_date, l.last_date, l.item_count, l.overdue_count, l.items
    from videos as v
    inner join private.music_video_timeline_lanes as l
      on
        v.id = l.music_video_id
        and v_today between l.valid_from and l.valid_until
    where v.id <> all(v_noted)
  ),

  lanes as (
    select s.id, s.first_date, s.last_date, s.item_count, s.overdue_count, s.items
    from stored as s
    union all
    select b.music_video_id, b.first_date, b.last_date, b.item_count, b.overdue_count, b.items
    from private.music_video_timeline_build(
      array(select v.id from videos as v except select s.id from stored as s), v_today
    ) as b
  )

  select
    v.id, v.title, v.status, v.shoot_start_date, v.shoot_end_date, v.target_release_date,
    l.first_date, l.last_date, l.item_count, l.overdue_count, l.items
  from lanes as l
  inner join videos as v on l.id = v.id
  order by l.first_date nulls last, v.title nulls last, v.id;
end
$$;
revoke all on function public.music_video_release_timeline(text, date, date, date) from public, anon;
grant execute on function public.music_video_release_timeline(text, date, date, date) to authenticated, service_role;

comment on function public.music_video_release_timeline(text, date, date, date) is $md$The release's Timeline component: one lane per video, each with its own dates, milestones and promo events as dated items.

Endpoint: Timeline component (spec 1.2 "Timeline section ... reused from tour planner").

Returns: `music_video_timeline_lane` rows, one per video of the release (archived videos included; a video without items has `items` `[]`), ordered by `first_date` (the date of its first item; lanes without items last), then `title`, then `music_video_id`. `title`, `status`, `shoot_start_date`, `shoot_end_date`, `target_release_date` are the video's; `first_date` / `last_date` the dates of its first and last item; `item_count` and `overdue_count` count its items. `items` is a JSON array of `music_video_timeline_item` objects `{date, kind, source, id, label, owner_id, done, done_at, overdue, starts_at, time_zone, platform}` (the generated type names the shape; the lane carries the video's id; a field that is null for an item is left out of its object, so read a missing key as null), ordered by `date`, then the kinds' lifecycle order (shoot_start, shoot_end, edit_lock, picture_lock, delivery, release, promo, custom), then `starts_at`, then `id` (items without id last). By `source`: `video`: the video's own dates (`kind` shoot_start, shoot_end, release; a date not set gives no item), `id` null, `done` once the video has moved past it (in_production, post_production, released; every one for an archived video); `milestone`: a stored milestone (`id`, `label`, `owner_id`, `done`, `done_at`); `promo_event`: a live promo event (`kind` promo, `label` the promo kind, `starts_at`, `time_zone`, `platform`, `date` its local date in its time zone, `done` null, `overdue` false; cancelled events are left out). `overdue`: `date` before `as_of` (default today, UTC), not done, and the video not archived. `from_date` / `to_date` (each optional, inclusive) keep the items dated in that window; every lane is still returned, its dates and counts over the kept items. Timestamps are in UTC. A write is visible in the very next read, the writer's own request included.

Errors:
- `PT404`: the release id is missing, malformed, does not exist or is not the caller's.
- `22023`: `detail.problems` `from_date` `after_to_date`.$md$;
