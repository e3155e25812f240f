-- The spec's name for the cast role (issue 12, section 1; spec 2.3 "POST /music-videos/:id/cast
-- ... with cast_option_id, role, cost_estimate"): a cast assignment element (in cast_assignments
-- of create/update/draft, and the patch of update_music_video_cast_assignment) accepts "role".
-- Before, "role" was silently ignored (documents echo the option's role under that key). Now:
--   * role alone sets the assignment's role; equal to the cast option's own role it means no
--     override (role_override null), so the effective role is role_override ?? option role;
--   * role_override (the stored column, as documents return it) is still accepted, and wins
--     when both are sent: a document sent back unchanged (role = the option's role) keeps its
--     override; an explicit role that differs from both is a problem (conflicting_role).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.music_video_parse_cast_item(p_item jsonb, p_prefix text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_item jsonb := '{}'::jsonb;
  v_problems jsonb := '[]'::jsonb;
  v_key text;
  v_val jsonb;
  v_int integer;
  v_bool boolean;
  v_uuid uuid;
  v_role jsonb;
  v_option_role text;
begin
  if jsonb_typeof(p_item) is distinct from 'object' then
    return jsonb_build_object('item', null, 'problems', jsonb_build_array(private.plan_problem(
      rtrim(p_prefix, '.'), 'invalid_type', 'Each cast assignment must be an object {cast_option_id, ...}.')));
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_item) as e order by e.key loop
    if v_key = 'cast_option_id' then
      v_uuid := case when jsonb_typeof(v_val) = 'string' then private.try_uuid(btrim(v_val #>> '{}')) end;
      if v_uuid is null or not exists (
        select 1 from public.music_video_cast_options as co where co.id = v_uuid
      ) then
        v_problems := v_problems || private.plan_problem(p_prefix || 'cast_option_id', 'unknown',
          format('There is no cast option %s.', left(v_val::text, 80)));
      else
        v_item := v_item || jsonb_build_object('cast_option_id', v_uuid);
      end if;
    elsif v_key in ('role', 'role_override', 'notes') then
      if jsonb_typeof(v_val) = 'string'
         and length(v_val #>> '{}') > private.music_video_max_length(case when v_key = 'role' then 'role_override' else v_key end) then
        v_problems := v_problems || private.plan_problem(p_prefix || v_key, 'too_long',
          format('%s can have at most %s characters.', private.music_video_field_label(v_key),
            private.music_video_max_length(case when v_key = 'role' then 'role_override' else v_key end)));
      elsif jsonb_typeof(v_val) in ('string', 'null') and v_key = 'role' then
        v_role := v_val;
      elsif jsonb_typeof(v_val) in ('string', 'null') then
        v_item := v_item || jsonb_build_object(v_key, v_val);
      else
        v_problems := v_problems || private.plan_problem(p_prefix || v_key, 'invalid_type',
          private.music_video_field_label(v_key) || ' must be text.');
      end if;
    elsif v_key = 'cost_estimate' then
      v_int := private.json_to_int(v_val);
      if jsonb_typeof(v_val) = 'null' then
        v_item := v_item || jsonb_build_object('cost_estimate', null);
      elsif v_int is null then
        v_problems := v_problems || private.plan_problem(p_prefix || 'cost_estimate', 'invalid_type',
          'The cost estimate must be a whole number.');
      elsif v_int < 0 then
        v_problems := v_problems || private.plan_problem(p_prefix || 'cost_estimate', 'negative',
          'The cost estimate must be 0 or more.');
      else
        v_item := v_item || jsonb_build_object('cost_estimate', v_int);
      end if;
    elsif v_key = 'confirmed' then
      v_bool := coalesce(private.json_to_bool(v_val), case when jsonb_typeof(v_val) = 'null' then false end);
      if v_bool is null then
        v_problems := v_problems || private.plan_problem(p_prefix || 'confirmed', 'invalid_type',
          'Confirmed must be true or false.');
      else
        v_item := v_item || jsonb_build_object('confirmed', v_bool);
      end if;
    elsif v_key not in ('id', 'name', 'cost_multiplier', 'projected_cost', 'requires_union') then
      v_problems := v_problems || private.plan_problem(p_prefix || left(v_key, 60), 'unknown_field',
        format('Unknown field "%s" in a cast assignment.', left(v_key, 60)));
    end if;
  end loop;
  -- role (the spec's name): the assignment's role; the option's own role means no override.
  -- role_override (the stored column, as documents return it) wins when both are sent, so a
  -- document sent back unchanged keeps its override; two different explicit roles conflict.
  if v_role is not null and v_item ? 'cast_option_id' then
    select co.role into v_option_role
    from public.music_video_cast_options as co where co.id = (v_item ->> 'cast_option_id')::uuid;
    if not p_item ? 'role_override' then
      v_item := v_item || jsonb_build_object('role_override', nullif(v_role #>> '{}', v_option_role));
    elsif (v_role #>> '{}') is distinct from v_option_role
          and (v_role #>> '{}') is distinct from (p_item ->> 'role_override') then
      v_problems := v_problems || private.plan_problem(p_prefix || 'role', 'conflicting_role',
        'Send the role once: role and role_override name different roles.');
    end if;
  end if;
  if not p_item ? 'cast_option_id' then
    v_problems := v_problems || private.plan_problem(p_prefix || 'cast_option_id', 'required',
      'Choose a cast option.');
  end if;
  return jsonb_build_object(
    'item', case when jsonb_array_length(v_problems) = 0 then v_item end, 'problems', v_problems);
end
$$;
revoke all on function private.music_video_parse_cast_item(jsonb, text) from public;
grant execute on function private.music_video_parse_cast_item(jsonb, text) to authenticated, service_role;
