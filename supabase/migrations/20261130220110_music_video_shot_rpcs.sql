-- The shot-list RPCs (issue "The planning workspace, complete", section 3): read the whole list
-- (get_music_video_shots), add_music_video_shot, update_music_video_shot (fields, and a move
-- through shot_number), reorder_music_video_shots (a whole new order) and
-- remove_music_video_shot. All security invoker: the owner writes under the table policies of
-- 20261130220000, the service role past them, everybody else gets PT404 from the one access
-- rule (can_access_video) before anything is read.
--
-- Concurrency: every write first locks the video row (FOR NO KEY UPDATE: it does not block the
-- key-share locks that foreign-key checks of other tables take), so two edits of one list run one
-- after the other and each renumbers a list nobody else is changing; numbers stay 1..n.
-- Every write returns the whole list (as get_music_video_shots) so the app redraws from it.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- GET /music-videos/:id/shots. Returns the list document (see private.music_video_shot_list_json).
create or replace function public.get_music_video_shots(music_video_id text default null)
returns json
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
  return private.music_video_shot_list_json(v_id);
end
$$;

-- POST /music-videos/:id/shots. description is required; shot_number places the shot (1..n+1;
-- the shots from there on move down one), by default at the end. At most 1,000 shots per video
-- (PT409 too_many_shots). Returns the list document plus "shot".
create or replace function public.add_music_video_shot(
  music_video_id text default null,
  description text default null,
  scene text default null,
  shot_size public.shot_size_enum default null,
  angle text default null,
  movement text default null,
  lens text default null,
  location text default null,
  cast_assignment_ids jsonb default null,
  duration_seconds integer default null,
  status public.shot_status_enum default null,
  shot_number integer default null
)
returns json
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.music_video_shots_open(add_music_video_shot.music_video_id, true);
  v_count integer;
  v_parsed jsonb;
  v_item jsonb;
  v_number integer;
  v_shot_id uuid;
begin
  select count(*) into v_count from public.music_video_shots as s where s.music_video_id = v_id;
  if v_count >= 1000 then
    raise exception using errcode = 'PT409', message = 'A video holds at most 1,000 shots.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'music_video_id', 'too_many_shots', 'A video holds at most 1,000 shots.')))::text,
      hint = 'Remove shots you no longer need, or cut them into another video.';
  end if;
  v_parsed := private.music_video_parse_shot(
    jsonb_strip_nulls(jsonb_build_object(
      'scene', add_music_video_shot.scene, 'shot_size', add_music_video_shot.shot_size,
      'angle', add_music_video_shot.angle, 'movement', add_music_video_shot.movement,
      'lens', add_music_video_shot.lens, 'location', add_music_video_shot.location,
      'cast_assignment_ids', add_music_video_shot.cast_assignment_ids,
      'duration_seconds', add_music_video_shot.duration_seconds, 'status', add_music_video_shot.status
    )) || jsonb_build_object('description', add_music_video_shot.description),
    v_id
  );
  if add_music_video_shot.shot_number is not null and add_music_video_shot.shot_number not between 1 and v_count + 1 then
    v_parsed := jsonb_set(v_parsed, '{problems}', (v_parsed -> 'problems') || private.plan_problem(
      'shot_number', 'out_of_range', format('The shot number must be from 1 to %s.', v_count + 1)));
  end if;
  perform private.raise_plan_problems(v_parsed -> 'problems');
  v_item := v_parsed -> 'item';
  v_number := coalesce(add_music_video_shot.shot_number, v_count + 1);

  update public.music_video_shots as s set shot_number = s.shot_number + 1
  where s.music_video_id = v_id and s.shot_number >= v_number;
  insert into public.music_video_shots (music_video_id, shot_number, scene, description, shot_size, angle,
    movement, lens, location, duration_seconds, status)
  values (
    v_id, v_number, v_item ->> 'scene', v_item ->> 'description', (v_item ->> 'shot_size')::public.shot_size_enum,
    v_item ->> 'angle', v_item ->> 'movement', v_item ->> 'lens', v_item ->> 'location',
    (v_item ->> 'duration_seconds')::integer,
    coalesce((v_item ->> 'status')::public.shot_status_enum, 'planned')
  )
  returning id into v_shot_id;
  if v_item ? 'cast_assignment_ids' then
    perform private.music_video_set_shot_cast(v_id, v_shot_id, v_item -> 'cast_assignment_ids');
  end if;

  return private.music_video_shot_list_json(v_id, v_shot_id);
end
$$;

-- PATCH /music-videos/:id/shots/:shot_id. patch: the fields to change ({scene, description,
-- shot_size, angle, movement, lens, location, cast_assignment_ids (replaces the set),
-- duration_seconds, status, shot_number}); null or "" clears an optional field; shot_number moves
-- the shot (1..n), the shots in between shift by one. Returns the list document plus "shot".
create or replace function public.update_music_video_shot(
  music_video_id text default null,
  shot_id text default null,
  patch jsonb default null
)
returns json
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.music_video_shots_open(update_music_video_shot.music_video_id, true);
  v_current public.music_video_shots;
  v_patch jsonb := coalesce(update_music_video_shot.patch, '{}'::jsonb);
  v_parsed jsonb;
  v_item jsonb;
  v_count integer;
  v_to integer;
  v_from integer;
begin
  select s.* into v_current from public.music_video_shots as s
  where s.id = private.try_uuid(btrim(update_music_video_shot.shot_id)) and s.music_video_id = v_id;
  if v_current.id is null then
    raise exception using errcode = 'PT404', message = 'Shot not found',
      hint = 'The shot does not exist or belongs to another video.';
  end if;
  if jsonb_typeof(v_patch) <> 'object' then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'patch', 'invalid_type', 'The patch must be a JSON object of the fields to change.')));
  end if;
  v_parsed := private.music_video_parse_shot(v_patch, v_id);
  select count(*) into v_count from public.music_video_shots as s where s.music_video_id = v_id;
  if (v_parsed -> 'item' ->> 'shot_number')::integer > v_count then
    v_parsed := jsonb_set(v_parsed, '{problems}', (v_parsed -> 'problems') || private.plan_problem(
      'shot_number', 'out_of_range', format('The shot number must be from 1 to %s.', v_count)));
  end if;
  perform private.raise_plan_problems(v_parsed -> 'problems');
  v_item := v_parsed -> 'item';

  update public.music_video_shots as s
  set
    scene = case when v_item ? 'scene' then v_item ->> 'scene' else s.scene end,
    description = case when v_item ? 'description' then v_item ->> 'description' else s.description end,
    shot_size = case when v_item ? 'shot_size' then (v_item ->> 'shot_size')::public.shot_size_enum
      else s.shot_size end,
    angle = case when v_item ? 'angle' then v_item ->> 'angle' else s.angle end,
    movement = case when v_item ? 'movement' then v_item ->> 'movement' else s.movement end,
    lens = case when v_item ? 'lens' then v_item ->> 'lens' else s.lens end,
    location = case when v_item ? 'location' then v_item ->> 'location' else s.location end,
    duration_seconds = case when v_item ? 'duration_seconds' then (v_item ->> 'duration_seconds')::integer
      else s.duration_seconds end,
    status = case when v_item ? 'status' then (v_item ->> 'status')::public.shot_status_enum else s.status end
  where s.id = v_current.id;

  -- A move is one statement (the unique number key is checked at its end): the shot takes its
  -- new number and the shots between the old and the new number shift by one towards the gap.
  v_from := v_current.shot_number;
  v_to := (v_item ->> 'shot_number')::integer;
  if v_to is not null and v_to <> v_from then
    update public.music_video_shots as s
    set shot_number = case
      when s.id = v_current.id then v_to
      when v_to < v_from then s.shot_number + 1
      else s.shot_number - 1
    end
    where s.music_video_id = v_id
      and (s.id = v_current.id or s.shot_number between least(v_from, v_to) and greatest(v_from, v_to));
  end if;
  if v_item ? 'cast_assignment_ids' then
    perform private.music_video_set_shot_cast(v_id, v_current.id, v_item -> 'cast_assignment_ids');
  end if;

  return private.music_video_shot_list_json(v_id, v_current.id);
end
$$;

-- POST /music-videos/:id/shots/order. shot_ids: every shot id of the video, once each, in the new
-- order (numbers become 1..n in that order). A list that does not name exactly the video's shots
-- (another producer added or removed one since it was read) is a PT409 with the list to reload;
-- a malformed one a PT422. Returns the list document.
create or replace function public.reorder_music_video_shots(music_video_id text default null, shot_ids jsonb default null)
returns json
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.music_video_shots_open(reorder_music_video_shots.music_video_id, true);
  v_ids uuid[];
  v_missing integer;
  v_unknown integer;
begin
  if jsonb_typeof(reorder_music_video_shots.shot_ids) is distinct from 'array'
     or exists (
       select 1 from jsonb_array_elements(reorder_music_video_shots.shot_ids) as e (value)
       where jsonb_typeof(e.value) <> 'string' or private.try_uuid(btrim(e.value #>> '{}')) is null
     ) then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'shot_ids', 'invalid_type', 'The order must be a list of shot ids.')));
  end if;
  select coalesce(array_agg(private.try_uuid(btrim(e.value #>> '{}')) order by e.ordinality), '{}')
  into v_ids
  from jsonb_array_elements(reorder_music_video_shots.shot_ids) with ordinality as e (value, ordinality);
  if cardinality(v_ids) <> (select count(distinct u) from unnest(v_ids) as u) then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'shot_ids', 'duplicate', 'Each shot may appear once in the order.')));
  end if;
  select count(*) into v_missing from public.music_video_shots as s
  where s.music_video_id = v_id and s.id <> all(v_ids);
  select count(*) into v_unknown from unnest(v_ids) as u (id)
  where not exists (select 1 from public.music_video_shots as s where s.id = u.id and s.music_video_id = v_id);
  if v_missing > 0 or v_unknown > 0 then
    raise exception using errcode = 'PT409',
      message = 'The shot list changed since it was loaded; reload it and reorder again.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'shot_ids', 'stale_order',
        format('The order leaves out %s shot(s) of the video and names %s that are not on it.', v_missing, v_unknown),
        jsonb_build_object('missing', v_missing, 'unknown', v_unknown))))::text,
      hint = 'Read the list again with get_music_video_shots.';
  end if;

  update public.music_video_shots as s
  set shot_number = o.ordinality
  from unnest(v_ids) with ordinality as o (id, ordinality)
  where s.id = o.id and s.music_video_id = v_id and s.shot_number <> o.ordinality;
  return private.music_video_shot_list_json(v_id);
end
$$;

-- DELETE /music-videos/:id/shots/:shot_id. The shots after it move up one. Returns the list
-- document plus "removed_shot_id".
create or replace function public.remove_music_video_shot(music_video_id text default null, shot_id text default null)
returns json
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.music_video_shots_open(remove_music_video_shot.music_video_id, true);
  v_removed public.music_video_shots;
begin
  delete from public.music_video_shots as s
  where s.id = private.try_uuid(btrim(remove_music_video_shot.shot_id)) and s.music_video_id = v_id
  returning s.* into v_removed;
  if v_removed.id is null then
    raise exception using errcode = 'PT404', message = 'Shot not found',
      hint = 'The shot does not exist or belongs to another video.';
  end if;
  update public.music_video_shots as s set shot_number = s.shot_number - 1
  where s.music_video_id = v_id and s.shot_number > v_removed.shot_number;
  return private.music_video_shot_list_json(v_id, null, v_removed.id);
end
$$;

revoke all on function public.get_music_video_shots(text) from public, anon;
revoke all on function public.add_music_video_shot(
  text, text, text, public.shot_size_enum, text, text, text, text, jsonb, integer, public.shot_status_enum, integer
) from public, anon;
revoke all on function public.update_music_video_shot(text, text, jsonb) from public, anon;
revoke all on function public.reorder_music_video_shots(text, jsonb) from public, anon;
revoke all on function public.remove_music_video_shot(text, text) from public, anon;
grant execute on function public.get_music_video_shots(text) to authenticated, service_role;
grant execute on function public.add_music_video_shot(
  text, text, text, public.shot_size_enum, text, text, text, text, jsonb, integer, public.shot_status_enum, integer
) to authenticated, service_role;
grant execute on function public.update_music_video_shot(text, text, jsonb) to authenticated, service_role;
grant execute on function public.reorder_music_video_shots(text, jsonb) to authenticated, service_role;
grant execute on function public.remove_music_video_shot(text, text) to authenticated, service_role;
