-- The timeline's API, part 2 (issue "The planning workspace, complete", sections 1 and 2):
-- schedule, move and cancel promo events ("Schedule Promo"), and the one read the Timeline
-- component draws, the release timeline. As in part 1 (20261130210300) every write goes through
-- the table under RLS (security invoker) and its triggers judge the rules, so an RPC and a
-- direct table write behave alike.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The promo event of an id the caller may see (RLS decides), or null.
create or replace function private.visible_promo_event(p_id text)
returns public.music_video_promo_events
language sql
stable
set search_path = ''
as $$
  select pe from public.music_video_promo_events as pe where pe.id = private.try_uuid(btrim(p_id))
$$;
revoke all on function private.visible_promo_event(text) from public;
grant execute on function private.visible_promo_event(text) to authenticated, service_role;

-- "Schedule Promo": a promo event of a video. platform is a platform_enum label, kind one of
-- premiere, teaser, tv_spot, social_push, interview; starts_at a timestamptz, time_zone an
-- IANA name (pg_timezone_names). Returns the event (every column). 22023 for bad arguments,
-- PT422 for a non-teaser, non-premiere event before the video's release date.
create or replace function public.schedule_music_video_promo(
  music_video_id text default null,
  platform text default null,
  kind text default null,
  starts_at timestamptz default null,
  time_zone text default null,
  notes text default null,
  link text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_video uuid := private.try_uuid(btrim(schedule_music_video_promo.music_video_id));
  v_platform text := lower(btrim(schedule_music_video_promo.platform));
  v_kind text := lower(btrim(schedule_music_video_promo.kind));
  v_row public.music_video_promo_events;
begin
  if v_video is null or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only plan videos of your own releases.';
  end if;
  if v_platform is null or v_platform not in (select unnest(enum_range(null::public.platform_enum))::text) then
    perform private.raise_bad_argument('platform', case when coalesce(v_platform, '') = '' then 'required' else 'invalid' end,
      'The platform must be one of youtube, mtv, vevo, tiktok, instagram, regional_tv, other.');
  end if;
  if v_kind is null or v_kind not in (select unnest(enum_range(null::public.music_video_promo_kind))::text) then
    perform private.raise_bad_argument('kind', case when coalesce(v_kind, '') = '' then 'required' else 'invalid' end,
      'The kind must be premiere, teaser, tv_spot, social_push or interview.');
  end if;
  if schedule_music_video_promo.starts_at is null then
    perform private.raise_bad_argument('starts_at', 'required', 'Set when the promo event starts.');
  end if;
  if nullif(btrim(schedule_music_video_promo.time_zone), '') is null then
    perform private.raise_bad_argument('time_zone', 'required', 'Set the event''s time zone (an IANA name).');
  end if;
  insert into public.music_video_promo_events as pe (music_video_id, platform, kind, starts_at, time_zone, notes, link)
  values (v_video, v_platform::public.platform_enum, v_kind::public.music_video_promo_kind,
    schedule_music_video_promo.starts_at, schedule_music_video_promo.time_zone,
    schedule_music_video_promo.notes, schedule_music_video_promo.link)
  returning pe.* into v_row;
  return to_jsonb(v_row);
end
$$;

-- Move a promo event to another moment (and optionally another zone). PT409 for a cancelled one.
create or replace function public.move_music_video_promo(
  id text default null,
  starts_at timestamptz default null,
  time_zone text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_row public.music_video_promo_events := private.visible_promo_event(move_music_video_promo.id);
begin
  if v_row.id is null then
    raise exception using errcode = 'PT404', message = 'Promo event not found';
  end if;
  if v_row.cancelled_at is not null then
    raise exception using errcode = 'PT409', message = 'This promo event was cancelled; schedule a new one.';
  end if;
  if move_music_video_promo.starts_at is null then
    perform private.raise_bad_argument('starts_at', 'required', 'Set when the promo event starts.');
  end if;
  update public.music_video_promo_events as pe
  set starts_at = move_music_video_promo.starts_at,
    time_zone = coalesce(nullif(btrim(move_music_video_promo.time_zone), ''), pe.time_zone)
  where pe.id = v_row.id
  returning pe.* into v_row;
  return to_jsonb(v_row);
end
$$;

-- Cancel a promo event (kept, with who and when). PT409 when it was already cancelled.
create or replace function public.cancel_music_video_promo(id text default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_row public.music_video_promo_events := private.visible_promo_event(cancel_music_video_promo.id);
begin
  if v_row.id is null then
    raise exception using errcode = 'PT404', message = 'Promo event not found';
  end if;
  if v_row.cancelled_at is not null then
    raise exception using errcode = 'PT409', message = 'This promo event is already cancelled.';
  end if;
  update public.music_video_promo_events as pe set cancelled_at = now()
  where pe.id = v_row.id
  returning pe.* into v_row;
  return to_jsonb(v_row);
end
$$;

-- Shape chosen for speed (benchmarks/bench_workspace.py, 200 videos x 25 items): each video once
-- with compact items (no repeated video fields, no null keys), items read per video through the
-- (music_video_id, due_date) index (under RLS a flat query sometimes scanned every milestone),
-- per-video sorts instead of one global sort, json rather than jsonb.
-- GET the release timeline (the Timeline component). as_of is "today" (default: the UTC date,
-- as the plan rules use). Body (json):
--   {release_id, as_of, videos: [{id, title, status, items: [item]}], counts: {items, overdue}}
-- videos in (title, id) order; a video's items in (date, kinds' lifecycle order, starts_at, id)
-- order. An item carries no null fields:
--   source 'video': {date, kind, source, done, overdue} for shoot_start, shoot_end, release from
--     the video's own dates (done once the video has moved past them: in_production for the
--     shoot start, post_production for the shoot end, released for the release; an archived
--     video's are done);
--   source 'milestone': {date, kind, source, id, label?, owner_id?, done, done_at?, overdue}
--     (done_at present exactly when done);
--   source 'promo_event': {date, kind: 'promo', source, id, label (the promo kind), starts_at,
--     time_zone, platform, overdue: false}; date is its local date in its zone; live events only.
-- overdue: date before as_of, not done, and the video not archived.
-- security invoker: RLS on each table decides; the explicit check only turns "not yours"
-- into the same PT404 as "does not exist".
create or replace function public.music_video_release_timeline(release_id text default null, as_of date default null)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_release uuid := private.try_uuid(btrim(music_video_release_timeline.release_id));
  v_today date := coalesce(music_video_release_timeline.as_of, timezone('utc', now())::date);
begin
  if v_release is null or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the id; you can only see your own releases.';
  end if;
  return (
    select json_build_object(
      'release_id', v_release,
      'as_of', v_today,
      'videos', coalesce(
        json_agg(
          json_build_object('id', v.id, 'title', v.title, 'status', v.status, 'items', coalesce(g.items, '[]'))
          order by v.title, v.id
        ),
        '[]'::json
      ),
      'counts', json_build_object('items', coalesce(sum(g.n), 0), 'overdue', coalesce(sum(g.n_overdue), 0))
    )
    from public.music_videos as v
    cross join lateral (
      -- One video's items: ord is the kinds' lifecycle order (the enum's), as a plain int.
      select
        json_agg(t.body order by t.date, t.ord, t.starts_at, t.id) as items,
        count(*) as n,
        count(*) filter (where t.overdue) as n_overdue
      from (
        select
          d.due as date, d.ord, null::timestamptz as starts_at, null::uuid as id,
          d.due < v_today and not d.done and v.status <> 'archived' as overdue,
          json_build_object(
            'date', d.due, 'kind', d.kind, 'source', 'video', 'done', d.done,
            'overdue', d.due < v_today and not d.done and v.status <> 'archived'
          ) as body
        from (
          values
          (v.shoot_start_date, 'shoot_start', 1, v.status in ('in_production', 'post_production', 'released', 'archived')),
          (v.shoot_end_date, 'shoot_end', 2, v.status in ('post_production', 'released', 'archived')),
          (v.target_release_date, 'release', 6, v.status in ('released', 'archived'))
        ) as d (due, kind, ord, done)
        where d.due is not null
        union all
        select
          m.due_date,
          case m.kind
            when 'edit_lock' then 3 when 'picture_lock' then 4 when 'delivery' then 5 when 'promo' then 7 else 8
          end,
          null,
          m.id,
          m.due_date < v_today and not m.done and v.status <> 'archived',
          -- No null fields: one builder per shape (label, owner_id and done_at are optional;
          -- done_at is set exactly when done, a check constraint of the table).
          case
            when m.done and m.label is null and m.owner_id is null then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id,
              'done', true, 'done_at', m.done_at, 'overdue', false)
            when m.done and m.owner_id is null then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id, 'label', m.label,
              'done', true, 'done_at', m.done_at, 'overdue', false)
            when m.done and m.label is null then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id, 'owner_id', m.owner_id,
              'done', true, 'done_at', m.done_at, 'overdue', false)
            when m.done then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id, 'label', m.label,
              'owner_id', m.owner_id, 'done', true, 'done_at', m.done_at, 'overdue', false)
            when m.label is null and m.owner_id is null then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id,
              'done', false, 'overdue', m.due_date < v_today and v.status <> 'archived')
            when m.owner_id is null then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id, 'label', m.label,
              'done', false, 'overdue', m.due_date < v_today and v.status <> 'archived')
            when m.label is null then json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id, 'owner_id', m.owner_id,
              'done', false, 'overdue', m.due_date < v_today and v.status <> 'archived')
            else json_build_object(
              'date', m.due_date, 'kind', m.kind, 'source', 'milestone', 'id', m.id, 'label', m.label,
              'owner_id', m.owner_id, 'done', false, 'overdue', m.due_date < v_today and v.status <> 'archived')
          end
        from public.music_video_milestones as m
        where m.music_video_id = v.id
        union all
        select
          (pe.starts_at at time zone pe.time_zone)::date, 7, pe.starts_at, pe.id, false,
          json_build_object(
            'date', (pe.starts_at at time zone pe.time_zone)::date, 'kind', 'promo', 'source', 'promo_event',
            'id', pe.id, 'label', pe.kind, 'starts_at', pe.starts_at, 'time_zone', pe.time_zone,
            'platform', pe.platform, 'overdue', false
          )
        from public.music_video_promo_events as pe
        where pe.music_video_id = v.id and pe.cancelled_at is null
      ) as t
    ) as g
    where v.release_id = v_release
  );
end
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'schedule_music_video_promo(text, text, text, timestamptz, text, text, text)',
    'move_music_video_promo(text, timestamptz, text)',
    'cancel_music_video_promo(text)',
    'music_video_release_timeline(text, date)'
  ] loop
    execute format('revoke all on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated, service_role', f);
  end loop;
end
$$;
