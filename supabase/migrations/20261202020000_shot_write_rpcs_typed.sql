-- The shot-list write RPCs return a typed row and take their required parameters without
-- defaults (issue 12, sections 1-2: the generated TypeScript types marked every parameter of
-- add/update/reorder/remove_music_video_shot optional, because each defaulted to null, and
-- called their result Json). Like the milestone and promo RPCs (20261201050200):
-- - the video id, the shot id, description (add), patch (update) and shot_ids (reorder) have no
--   default, so leaving one out is PostgREST's PGRST202 and the types say they are required;
--   sending null still reaches the function's own field problem (description required, ...).
--   Ids stay text: a malformed or foreign id is PT404, like every other id of the API.
-- - each returns one public.music_video_shot_list row: the list after the write (the shots as
--   get_music_video_shots returns them) plus the shot written (shot) or the id removed
--   (removed_shot_id). The same keys as the former json document, now with a declared type
--   (shot and removed_shot_id are null where they do not apply).
-- Bodies, errors and locking are otherwise those of 20261130220110 and 20261201050200.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The answer of every shot-list write: the list after it, and what it wrote or removed.
create type public.music_video_shot_list as (
  music_video_id uuid,
  title text,
  shot_count integer,
  -- the shots not cut
  total_duration_seconds integer,
  shots public.music_video_shot_row [],
  -- the shot added or changed (add, update); null otherwise
  shot public.music_video_shot_row,
  -- the shot removed (remove); null otherwise
  removed_shot_id uuid
);
grant usage on type public.music_video_shot_list to authenticated, service_role;

-- The return types change (json -> public.music_video_shot_list) and the defaults go: drop, then
-- create (no overload is left behind).
-- squawk-ignore ban-drop-function
drop function public.add_music_video_shot(
  text, text, text, public.shot_size_enum, text, text, text, text, jsonb, integer, public.shot_status_enum, integer
);
-- squawk-ignore ban-drop-function
drop function public.update_music_video_shot(text, text, jsonb);
-- squawk-ignore ban-drop-function
drop function public.reorder_music_video_shots(text, jsonb);
-- squawk-ignore ban-drop-function
drop function public.remove_music_video_shot(text, text);
-- Its only callers were the four writes above; the list row below replaces it.
-- squawk-ignore ban-drop-function
drop function private.music_video_shot_list_json(uuid, uuid, uuid);

-- The writes' answer, built from the rows get_music_video_shots returns (one scan), so both
-- shapes of a shot agree. null for a video the caller cannot see.
create function private.music_video_shot_list(
  p_music_video_id uuid, p_shot_id uuid default null, p_removed_shot_id uuid default null
)
returns public.music_video_shot_list
language plpgsql
stable
set search_path = ''
as $$
declare
  v_list public.music_video_shot_list;
begin
  select v.id, v.title into v_list.music_video_id, v_list.title
  from public.music_videos as v where v.id = p_music_video_id;
  if not found then
    return null;
  end if;
  select
    count(*)::integer,
    coalesce(sum(r.duration_seconds) filter (where r.status <> 'cut'), 0)::integer,
    coalesce(array_agg(r order by r.shot_number), '{}'),
    (array_agg(r) filter (where r.id = p_shot_id))[1]
  into v_list.shot_count, v_list.total_duration_seconds, v_list.shots, v_list.shot
  from private.music_video_shot_rows(p_music_video_id) as r;
  v_list.removed_shot_id := p_removed_shot_id;
  return v_list;
end
$$;
revoke all on function private.music_video_shot_list(uuid, uuid, uuid) from public;
grant execute on function private.music_video_shot_list(uuid, uuid, uuid) to authenticated, service_role;

-- POST /music-videos/:id/shots. description is required; shot_number places the shot (1..n+1;
-- the shots from there on move down one), by default at the end. At most 1,000 shots per video
-- (PT409 too_many_shots). Returns the list document plus "shot".
create function public.add_music_video_shot(
  music_video_id text,
  description text,
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
returns public.music_video_shot_list
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

  return private.music_video_shot_list(v_id, v_shot_id);
end
$$;

-- PATCH /music-videos/:id/shots/:shot_id. patch: the fields to change ({scene, description,
-- shot_size, angle, movement, lens, location, cast_assignment_ids (replaces the set),
-- duration_seconds, status, shot_number}); null or "" clears an optional field; shot_number moves
-- the shot (1..n), the shots in between shift by one. Returns the list document plus "shot".
create function public.update_music_video_shot(
  music_video_id text,
  shot_id text,
  patch jsonb
)
returns public.music_video_shot_list
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

  return private.music_video_shot_list(v_id, v_current.id);
end
$$;

-- POST /music-videos/:id/shots/order. shot_ids: every shot id of the video, once each, in the new
-- order (numbers become 1..n in that order). A list that does not name exactly the video's shots
-- (another producer added or removed one since it was read) is a PT409 with the list to reload;
-- a malformed one a PT422. Returns the list document.
create function public.reorder_music_video_shots(music_video_id text, shot_ids jsonb)
returns public.music_video_shot_list
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
  return private.music_video_shot_list(v_id);
end
$$;

-- DELETE /music-videos/:id/shots/:shot_id. The shots after it move up one. Returns the list
-- document plus "removed_shot_id".
create function public.remove_music_video_shot(music_video_id text, shot_id text)
returns public.music_video_shot_list
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
  return private.music_video_shot_list(v_id, null, v_removed.id);
end
$$;

revoke all on function public.add_music_video_shot(
  text, text, text, public.shot_size_enum, text, text, text, text, jsonb, integer, public.shot_status_enum, integer
) from public, anon;
revoke all on function public.update_music_video_shot(text, text, jsonb) from public, anon;
revoke all on function public.reorder_music_video_shots(text, jsonb) from public, anon;
revoke all on function public.remove_music_video_shot(text, text) from public, anon;
grant execute on function public.add_music_video_shot(
  text, text, text, public.shot_size_enum, text, text, text, text, jsonb, integer, public.shot_status_enum, integer
) to authenticated, service_role;
grant execute on function public.update_music_video_shot(text, text, jsonb) to authenticated, service_role;
grant execute on function public.reorder_music_video_shots(text, jsonb) to authenticated, service_role;
grant execute on function public.remove_music_video_shot(text, text) to authenticated, service_role;

-- The API reference's text (20261201230000 commented the former signatures; a dropped function
-- loses its comment).
comment on function public.add_music_video_shot(
  text, text, text, public.shot_size_enum, text, text, text, text, jsonb, integer, public.shot_status_enum, integer
) is $md$Add a shot to the video's shot list, at the end or at a given number (later shots move down).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `music_video_id` and `description` are required (leaving one out is `PGRST202`; a null `description` is the `required` problem). The ids are text: a malformed or foreign id is `PT404`.
- `cast_assignment_ids`: `["<cast assignment id of this video>", ...]`, at most 50, each once; null for none.

Returns: one `music_video_shot_list` row: `music_video_id`, `title`, `shot_count`, `total_duration_seconds` (shots not cut), `shots` (the list after the write, `music_video_shot_row`s as `get_music_video_shots` returns them), `shot` (the new shot), `removed_shot_id` null. `status` defaults to `planned`.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`); or it already has 1,000 shots (`music_video_id` `too_many_shots`).
- `PT422`: every problem at once in `detail.problems`: `description` `required`, `scene` / `description` / `angle` / `movement` / `lens` / `location` `too_long` (120 / 2000 / 60 / 60 / 40 / 200 characters), `duration_seconds` `out_of_range` (1..3600), `shot_number` `out_of_range` (1..count + 1), `cast_assignment_ids` `invalid_type` / `too_many` / `duplicate` / `unknown_cast_assignment`.
- `22P02` (PostgREST, before the function runs): an unknown `shot_size` or `status` label, a non-integer number.$md$;

comment on function public.update_music_video_shot(text, text, jsonb) is $md$Change fields of one shot, or move it to another number (the shots between shift).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `music_video_id`, `shot_id` and `patch` are required (leaving one out is `PGRST202`); a null `patch` changes nothing.
- `patch`: `{"scene"?, "description"?, "shot_size"?: "ECU" | "CU" | "MCU" | "MS" | "WS" | "EWS" | null, "angle"?, "movement"?, "lens"?, "location"?, "duration_seconds"?: integer 1..3600 | null, "status"?: "planned" | "shot" | "cut", "shot_number"?: integer 1..count, "cast_assignment_ids"?: [uuid] | null}`; text fields as in `add_music_video_shot`; `cast_assignment_ids` replaces the shot's cast.

Returns: one `music_video_shot_list` row, as `add_music_video_shot` returns it, with `shot`: the changed shot.

Errors:
- `PT404`: the video or shot id is malformed, does not exist, is not the caller's, or the shot belongs to another video.
- `PT409`: the video is archived (`status` `archived`).
- `PT422`: every problem at once in `detail.problems`: `patch` `invalid_type` (not an object), `unknown_field`, `shot_size` / `status` `invalid`, `invalid_type`, and the field codes of `add_music_video_shot`.$md$;

comment on function public.reorder_music_video_shots(text, jsonb) is $md$Put the whole shot list in a new order (shot numbers become 1..n in the order given).

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes:
- `music_video_id` and `shot_ids` are required (leaving one out is `PGRST202`).
- `shot_ids`: `["<shot id>", ...]`: every shot of the video exactly once, in the new order.

Returns: one `music_video_shot_list` row, as `add_music_video_shot` returns it, with `shot` and `removed_shot_id` null.

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`); or the list changed since it was loaded: ids left out or not on the video (`shot_ids` `stale_order`, with `missing` and `unknown` counts).
- `PT422`: `detail.problems` `shot_ids` `invalid_type` (not a list of ids) or `duplicate`.$md$;

comment on function public.remove_music_video_shot(text, text) is $md$Remove one shot; the later shots move up so the numbers stay 1..n.

Endpoint: shot list of the planning workspace (README's shot list row).

Input shapes: `music_video_id` and `shot_id` are required (leaving one out is `PGRST202`).

Returns: one `music_video_shot_list` row, as `add_music_video_shot` returns it, with `shot` null and `removed_shot_id` the removed shot's id.

Errors:
- `PT404`: the video or shot id is malformed, does not exist, is not the caller's, or the shot belongs to another video.
- `PT409`: the video is archived (`status` `archived`).$md$;
