-- The release timeline (20261130210310) in a compact shape, for speed: 200 videos x 25 items
-- took p50 33 / p95 60 ms and 1.74 MB of json. Where the time went (EXPLAIN ANALYZE, BUFFERS):
-- the flat list repeated video_id/video_title/video_status and 8 null keys on each of 5,000
-- items; json_agg of a 15-column record and one 5,000-row sort ran ~30 ms; and under RLS the
-- planner sometimes chose a Seq Scan of all 200,000 milestones with the policy's hashed subplan
-- as a filter (~34 ms) instead of the (music_video_id, due_date) index.
-- Now: each video once ({id, title, status, items}), its items read per video (a lateral join:
-- always the index, ~25 rows each), sorted per video (25-row sorts, no global sort), built by
-- json_build_object (json, not jsonb: no re-parse) with no null fields, and the one sort the
-- videos' (title, id). Every fact of the old answer is kept; the order of the old flat list is
-- (date, kind lifecycle order, video title, video id, ...): the Timeline merges the videos' items.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

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

revoke all on function public.music_video_release_timeline(text, date) from public, anon;
grant execute on function public.music_video_release_timeline(text, date) to authenticated, service_role;
