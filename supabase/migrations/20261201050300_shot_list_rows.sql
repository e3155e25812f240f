-- The shot list read returns typed rows (issue 12: RPC results the generated TypeScript types
-- can name; issue "The planning workspace, complete", section 3). get_music_video_shots answered
-- a json document {music_video_id, title, shot_count, total_duration_seconds, shots: [...]};
-- now it returns the shots themselves, one row per shot in number order, each with its cast as
-- an array of a composite. The count and the total are the rows' length and sum (the title is
-- the board's). The write RPCs keep answering the list document (the list after the write plus
-- the shot written or removed), now built from the same rows, so both shapes of a shot agree.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- A cast assignment as a shot shows it: the assignment, the option's name, the role (the
-- assignment's override, else the option's role).
create type public.music_video_shot_cast_member as (
  assignment_id uuid,
  name text,
  role text
);

-- One shot of the list (the columns of music_video_shots a crew reads, and its cast ordered by
-- name). The same keys as the shots of the former document.
create type public.music_video_shot_row as (
  id uuid,
  shot_number integer,
  scene text,
  description text,
  shot_size public.shot_size_enum,
  angle text,
  movement text,
  lens text,
  location text,
  duration_seconds integer,
  status public.shot_status_enum,
  "cast" public.music_video_shot_cast_member [],
  updated_at timestamptz
);
grant usage on type public.music_video_shot_cast_member to authenticated, service_role;
grant usage on type public.music_video_shot_row to authenticated, service_role;

-- The shots of a video as rows, by number; the cast of each shot from one grouped scan of the
-- join rows. Security invoker: the caller's RLS decides (empty for a video it cannot see).
create or replace function private.music_video_shot_rows(p_music_video_id uuid)
returns setof public.music_video_shot_row
language sql
stable
set search_path = ''
as $$
  with cast_rows as (
    select
      sc.shot_id,
      array_agg(
        row(a.id, o.name, coalesce(a.role_override, o.role))::public.music_video_shot_cast_member
        order by o.name, a.id
      ) as members
    from public.music_video_shot_cast as sc
    inner join public.music_video_cast_assignments as a on sc.cast_assignment_id = a.id
    inner join public.music_video_cast_options as o on a.cast_option_id = o.id
    where sc.music_video_id = p_music_video_id
    group by sc.shot_id
  )

  select
    s.id, s.shot_number, s.scene, s.description, s.shot_size, s.angle, s.movement, s.lens, s.location,
    s.duration_seconds, s.status, coalesce(c.members, '{}'), s.updated_at
  from public.music_video_shots as s
  left join cast_rows as c on s.id = c.shot_id
  where s.music_video_id = p_music_video_id
  order by s.shot_number
$$;
revoke all on function private.music_video_shot_rows(uuid) from public;
grant execute on function private.music_video_shot_rows(uuid) to authenticated, service_role;

-- The write RPCs' list document (20261130220100), built from the rows above: {music_video_id,
-- title, shot_count, total_duration_seconds (shots not cut), shots: [row], shot? | removed_shot_id?}.
-- null for a video the caller cannot see.
create or replace function private.music_video_shot_list_json(
  p_music_video_id uuid, p_shot_id uuid default null, p_removed_shot_id uuid default null
)
returns json
language plpgsql
stable
set search_path = ''
as $$
declare
  v_title text;
  v_count bigint;
  v_total bigint;
  v_shots json;
  v_shot json;
begin
  select v.title into v_title from public.music_videos as v where v.id = p_music_video_id;
  if not found then
    return null;
  end if;
  select
    count(*),
    coalesce(sum(r.duration_seconds) filter (where r.status <> 'cut'), 0),
    coalesce(json_agg(r order by r.shot_number), '[]'::json),
    (array_agg(to_json(r)) filter (where r.id = p_shot_id))[1]
  into v_count, v_total, v_shots, v_shot
  from private.music_video_shot_rows(p_music_video_id) as r;
  if p_shot_id is not null then
    return json_build_object('music_video_id', p_music_video_id, 'title', v_title, 'shot_count', v_count,
      'total_duration_seconds', v_total, 'shots', v_shots, 'shot', v_shot);
  elsif p_removed_shot_id is not null then
    return json_build_object('music_video_id', p_music_video_id, 'title', v_title, 'shot_count', v_count,
      'total_duration_seconds', v_total, 'shots', v_shots, 'removed_shot_id', p_removed_shot_id);
  end if;
  return json_build_object('music_video_id', p_music_video_id, 'title', v_title, 'shot_count', v_count,
    'total_duration_seconds', v_total, 'shots', v_shots);
end
$$;

-- The return type changes (json -> rows): drop, then create.
-- squawk-ignore ban-drop-function
drop function public.get_music_video_shots(text);

-- GET /music-videos/:id/shots: the video's shots as rows (public.music_video_shot_row), by
-- number. PT404 for a video id that is malformed, missing or not the caller's.
create function public.get_music_video_shots(music_video_id text)
returns setof public.music_video_shot_row
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(get_music_video_shots.music_video_id));
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only see the shot lists of your own releases.';
  end if;
  return query select r.* from private.music_video_shot_rows(v_id) as r;
end
$$;
revoke all on function public.get_music_video_shots(text) from public, anon;
grant execute on function public.get_music_video_shots(text) to authenticated, service_role;
