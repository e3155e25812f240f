-- Real parameter types on the cast and platform RPCs (issue 12, section 1), and the spec's
-- name for the cast role (spec 2.3: POST /music-videos/:id/cast with cast_option_id, role,
-- cost_estimate). assign_music_video_cast takes role (was role_override: sending role gave
-- PostgREST's "function not found"); cost_estimate is an integer and confirmed a boolean;
-- update_music_video_cast_assignment's remove is a boolean; set_music_video_platform_targets'
-- sync_strategy is the sync_strategy_enum. A wrong-typed value is PostgREST's 22P02 from its
-- conversion of the JSON body. Ids stay text: a malformed or foreign id is a 404 (PT404). Only
-- the truly optional parameters have a default. Dropped and created (no overload left), granted
-- as before: authenticated and service_role, never anon.
-- Dropping breaks clients of the old signatures on purpose (a breaking change the issue asks
-- for): hence squawk's ban-drop-function is ignored at each drop.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- POST /music-videos/:id/cast. role is the assignment's role (the option's own role, or none,
-- means no override: see 20261201000400); the JSON inputs still accept role_override.
-- squawk-ignore ban-drop-function
drop function if exists public.assign_music_video_cast(text, text, text, text, text, text);
create function public.assign_music_video_cast(
  music_video_id text,
  cast_option_id text,
  role text default null,
  cost_estimate integer default null,
  confirmed boolean default false,
  notes text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(assign_music_video_cast.music_video_id));
  v_parsed jsonb;
  v_item jsonb;
  v_assignment_id uuid;
  v_doc jsonb;
  v_name text;
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only change videos of your own releases.';
  end if;
  perform 1 from public.music_videos as v where v.id = v_id for update;
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
  into v_item
  from jsonb_each(jsonb_build_object(
    'cast_option_id', assign_music_video_cast.cast_option_id,
    'role', assign_music_video_cast.role,
    'cost_estimate', assign_music_video_cast.cost_estimate,
    'confirmed', assign_music_video_cast.confirmed,
    'notes', assign_music_video_cast.notes
  )) as e
  where e.value <> 'null'::jsonb;
  v_parsed := private.music_video_parse_cast_item(v_item, '');
  perform private.raise_plan_problems(v_parsed -> 'problems');
  v_item := v_parsed -> 'item';

  select format('%s (%s)', co.name, co.role) into v_name
  from public.music_video_cast_options as co where co.id = (v_item ->> 'cast_option_id')::uuid;
  begin
    insert into public.music_video_cast_assignments
      (music_video_id, cast_option_id, role_override, cost_estimate, confirmed, notes)
    values (
      v_id, (v_item ->> 'cast_option_id')::uuid, v_item ->> 'role_override',
      (v_item ->> 'cost_estimate')::integer, coalesce((v_item ->> 'confirmed')::boolean, false),
      v_item ->> 'notes'
    )
    returning id into v_assignment_id;
  exception
    when unique_violation then
      raise exception using errcode = 'PT409',
        message = format('%s is already assigned to this video.', v_name),
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          'cast_option_id', 'already_assigned', format('%s is already assigned to this video.', v_name))))::text,
        hint = 'Change the existing assignment with update_music_video_cast_assignment.';
  end;
  perform private.music_video_enforce_rules(v_id);
  v_doc := private.music_video_document(v_id);
  return v_doc || jsonb_build_object('assignment', (
    select a.value from jsonb_array_elements(v_doc -> 'cast_assignments') as a
    where a.value ->> 'id' = v_assignment_id::text
  ));
end
$$;
revoke all on function public.assign_music_video_cast(text, text, text, integer, boolean, text) from public, anon;
grant execute on function public.assign_music_video_cast(text, text, text, integer, boolean, text)
to authenticated, service_role;

-- PATCH /music-videos/:id/cast/:assignment_id: a patch of the assignment (role or
-- role_override, cost_estimate, confirmed, notes), or remove = true to delete it.
-- squawk-ignore ban-drop-function
drop function if exists public.update_music_video_cast_assignment(text, text, jsonb, text);
create function public.update_music_video_cast_assignment(
  music_video_id text,
  assignment_id text,
  patch jsonb default null,
  remove boolean default false
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(update_music_video_cast_assignment.music_video_id));
  v_assignment_id uuid := private.try_uuid(btrim(update_music_video_cast_assignment.assignment_id));
  v_patch jsonb := coalesce(update_music_video_cast_assignment.patch, '{}'::jsonb);
  v_current public.music_video_cast_assignments;
  v_parsed jsonb;
  v_item jsonb;
  v_doc jsonb;
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only change videos of your own releases.';
  end if;
  select ca.* into v_current
  from public.music_video_cast_assignments as ca
  where ca.id = v_assignment_id and ca.music_video_id = v_id
  for update;
  if v_current.id is null then
    raise exception using errcode = 'PT404', message = 'Cast assignment not found',
      hint = 'The assignment does not exist or belongs to another video.';
  end if;

  if coalesce(update_music_video_cast_assignment.remove, false) then
    delete from public.music_video_cast_assignments as ca where ca.id = v_current.id;
    v_doc := private.music_video_document(v_id);
    return v_doc || jsonb_build_object('assignment', null,
      'removed_assignment_id', v_current.id);
  end if;

  if jsonb_typeof(v_patch) <> 'object' then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'patch', 'invalid_type', 'The patch must be a JSON object of the fields to change.')));
  end if;
  v_parsed := private.music_video_parse_cast_item(
    v_patch || jsonb_build_object('cast_option_id', v_current.cast_option_id), '');
  if v_patch ? 'cast_option_id' and v_patch -> 'cast_option_id' is distinct from to_jsonb(v_current.cast_option_id) then
    v_parsed := jsonb_set(v_parsed, '{problems}', (v_parsed -> 'problems') || private.plan_problem(
      'cast_option_id', 'read_only',
      'The cast option of an assignment cannot change; remove it and assign the other option.'));
  end if;
  perform private.raise_plan_problems(v_parsed -> 'problems');
  v_item := v_parsed -> 'item';

  update public.music_video_cast_assignments as ca
  set
    confirmed = case when v_item ? 'confirmed' then (v_item ->> 'confirmed')::boolean else ca.confirmed end,
    cost_estimate = case when v_item ? 'cost_estimate' then (v_item ->> 'cost_estimate')::integer
      else ca.cost_estimate end,
    role_override = case when v_item ? 'role_override' then v_item ->> 'role_override' else ca.role_override end,
    notes = case when v_item ? 'notes' then v_item ->> 'notes' else ca.notes end
  where ca.id = v_current.id;

  perform private.music_video_enforce_rules(v_id);
  v_doc := private.music_video_document(v_id);
  return v_doc || jsonb_build_object('assignment', (
    select a.value from jsonb_array_elements(v_doc -> 'cast_assignments') as a
    where a.value ->> 'id' = v_current.id::text
  ));
end
$$;
revoke all on function public.update_music_video_cast_assignment(text, text, jsonb, boolean) from public, anon;
grant execute on function public.update_music_video_cast_assignment(text, text, jsonb, boolean)
to authenticated, service_role;

-- POST /music-videos/:id/platform-targets: the full list (required; [] removes them all) and
-- optionally the sync strategy.
-- squawk-ignore ban-drop-function
drop function if exists public.set_music_video_platform_targets(text, jsonb, text);
create function public.set_music_video_platform_targets(
  music_video_id text,
  targets jsonb,
  sync_strategy public.sync_strategy_enum default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(set_music_video_platform_targets.music_video_id));
  v_patch jsonb;
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only change videos of your own releases.';
  end if;
  if set_music_video_platform_targets.targets is null then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'platform_targets', 'required',
      'Send the full list of platform targets (an empty list removes them all).')));
  end if;
  v_patch := jsonb_build_object('platform_targets', set_music_video_platform_targets.targets);
  if set_music_video_platform_targets.sync_strategy is not null then
    v_patch := v_patch || jsonb_build_object('sync_strategy', set_music_video_platform_targets.sync_strategy);
  end if;
  perform private.music_video_save(v_id, null, v_patch, 'update');
  return private.music_video_document(v_id);
end
$$;
revoke all on function public.set_music_video_platform_targets(text, jsonb, public.sync_strategy_enum)
from public, anon;
grant execute on function public.set_music_video_platform_targets(text, jsonb, public.sync_strategy_enum)
to authenticated, service_role;
