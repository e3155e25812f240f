-- POST /music-videos/:id/cast, PATCH /music-videos/:id/cast/:assignment_id and
-- POST /music-videos/:id/platform-targets (spec 2.3): assign_music_video_cast,
-- update_music_video_cast_assignment and set_music_video_platform_targets. On a draft they only
-- check types and report availability conflicts and budget warnings in the returned document;
-- on a plan past draft (planned .. released) the plan rules must still hold afterwards, so an
-- availability conflict blocks (PT422). Each returns the plan document, whose "budget" holds
-- the new cost totals and "availability_conflicts" any conflict.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Raises the plan's rule problems (PT422) when the video is past draft and not archived.
create or replace function private.music_video_enforce_rules(p_music_video_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_video public.music_videos;
begin
  select v.* into v_video from public.music_videos as v where v.id = p_music_video_id;
  if v_video.status in ('planned', 'in_production', 'post_production', 'released') then
    perform private.raise_plan_problems(private.music_video_plan_check(v_video, false) -> 'problems');
  end if;
end
$$;

-- Adds one cast option to a video. Answers PT409 when the option is already assigned to it.
-- Returns the plan document plus "assignment" (the new row as the document lists it).
create or replace function public.assign_music_video_cast(
  music_video_id text default null,
  cast_option_id text default null,
  role_override text default null,
  cost_estimate text default null,
  confirmed text default null,
  notes text default null
)
returns jsonb
language plpgsql
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
    'role_override', assign_music_video_cast.role_override,
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

-- Confirms, changes or removes one assignment. patch: {confirmed, cost_estimate,
-- role_override, notes} (keys present are set); remove: true deletes it. The cast option
-- itself is not changed here (remove the assignment and assign another option). Returns the
-- plan document plus "assignment" (null once removed).
create or replace function public.update_music_video_cast_assignment(
  music_video_id text default null,
  assignment_id text default null,
  patch jsonb default null,
  remove text default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(update_music_video_cast_assignment.music_video_id));
  v_assignment_id uuid := private.try_uuid(btrim(update_music_video_cast_assignment.assignment_id));
  v_patch jsonb := coalesce(update_music_video_cast_assignment.patch, '{}'::jsonb);
  v_remove boolean;
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

  v_remove := coalesce(private.json_to_bool(to_jsonb(update_music_video_cast_assignment.remove)), false);
  if update_music_video_cast_assignment.remove is not null
     and private.json_to_bool(to_jsonb(update_music_video_cast_assignment.remove)) is null then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'remove', 'invalid_type', 'remove must be true or false.')));
  end if;
  if v_remove then
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

-- Replaces the video's set of platform targets (targets: a list of {platform, auto_sync,
-- priority, launch_url, external_id}; an empty list removes them all) and, when given, its
-- sync strategy, in one call. For YouTube the external id is parsed from launch_url.
create or replace function public.set_music_video_platform_targets(
  music_video_id text default null,
  targets jsonb default null,
  sync_strategy text default null
)
returns jsonb
language plpgsql
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

revoke all on function private.music_video_enforce_rules(uuid) from public;
grant execute on function private.music_video_enforce_rules(uuid) to authenticated, service_role;
revoke all on function public.assign_music_video_cast(text, text, text, text, text, text)
from public, anon;
grant execute on function public.assign_music_video_cast(text, text, text, text, text, text) to authenticated, service_role;
revoke all on function public.update_music_video_cast_assignment(text, text, jsonb, text)
from public, anon;
grant execute on function public.update_music_video_cast_assignment(text, text, jsonb, text) to authenticated, service_role;
revoke all on function public.set_music_video_platform_targets(text, jsonb, text) from public, anon;
grant execute on function public.set_music_video_platform_targets(text, jsonb, text) to authenticated, service_role;
