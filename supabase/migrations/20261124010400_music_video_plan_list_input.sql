-- Reading the nested lists of a plan from RPC input (budget line items, cast assignments,
-- platform targets): each item checked for type and catalog membership only, every problem
-- collected with its field path (e.g. "cast_assignments[1].cost_estimate"). The plan rules
-- themselves are private.music_video_plan_check; this is what even a draft must pass to be
-- stored. Shared by create, update, the draft autosave and the cast and platform-target RPCs.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- A person-readable name for a field, for messages.
create or replace function private.music_video_field_label(p_field text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case p_field
    when 'title' then 'The title'
    when 'slug' then 'The slug'
    when 'video_theme_id' then 'The theme'
    when 'art_style_id' then 'The art style'
    when 'budget_band_id' then 'The budget band'
    when 'quality_tier' then 'The quality tier'
    when 'narrative_outline' then 'The narrative outline'
    when 'budget_estimate' then 'The budget estimate'
    when 'target_release_date' then 'The target release date'
    when 'shoot_start_date' then 'The shoot start date'
    when 'shoot_end_date' then 'The shoot end date'
    when 'kpi_view_target' then 'The view target'
    when 'kpi_chart_target' then 'The chart target'
    when 'primary_platform' then 'The primary platform'
    when 'sync_strategy' then 'The sync strategy'
    when 'promo_only' then 'Promo only'
    when 'status' then 'The status'
    when 'isrc' then 'The ISRC'
    when 'wizard_state' then 'The wizard state'
    when 'wizard_step' then 'The wizard step'
    when 'line_items' then 'The budget line items'
    when 'cast_assignments' then 'The cast assignments'
    when 'platform_targets' then 'The platform targets'
    when 'category' then 'The category'
    when 'amount' then 'The amount'
    when 'cast_option_id' then 'The cast option'
    when 'cost_estimate' then 'The cost estimate'
    when 'confirmed' then 'Confirmed'
    when 'platform' then 'The platform'
    when 'auto_sync' then 'Auto sync'
    when 'priority' then 'The priority'
    when 'launch_url' then 'The launch URL'
    when 'external_id' then 'The external id'
    else 'The field ' || left(coalesce(p_field, ''), 60)
  end
$$;

-- The longest text a free-text field takes (indexed columns must stay far below btree's limit).
create or replace function private.music_video_max_length(p_field text)
returns integer
language sql
immutable
set search_path = ''
as $$
  select case p_field
    when 'title' then 300
    when 'narrative_outline' then 20000
    when 'wizard_step' then 100
    when 'spotify_track_uri' then 300
    when 'apple_music_id' then 100
    when 'artist_name' then 300
    when 'role_override' then 200
    when 'notes' then 2000
    when 'launch_url' then 2048
    when 'external_id' then 200
    else 1000
  end
$$;

-- One budget line item {category, amount, notes} -> {"item": normalized or null, "problems"}.
create or replace function private.music_video_parse_line_item(p_item jsonb, p_prefix text)
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
begin
  if jsonb_typeof(p_item) is distinct from 'object' then
    return jsonb_build_object('item', null, 'problems', jsonb_build_array(private.plan_problem(
      rtrim(p_prefix, '.'), 'invalid_type', 'Each budget line item must be an object {category, amount}.')));
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_item) as e order by e.key loop
    if v_key = 'category' then
      if jsonb_typeof(v_val) = 'string' and (v_val #>> '{}') in ('direction', 'cinematography', 'post', 'marketing') then
        v_item := v_item || jsonb_build_object('category', v_val #>> '{}');
      else
        v_problems := v_problems || private.plan_problem(p_prefix || 'category', 'invalid_choice',
          'The category must be one of direction, cinematography, post, marketing.');
      end if;
    elsif v_key = 'amount' then
      v_int := private.json_to_int(v_val);
      if v_int is null then
        v_problems := v_problems || private.plan_problem(p_prefix || 'amount', 'invalid_type',
          'The amount must be a whole number.');
      elsif v_int < 0 then
        v_problems := v_problems || private.plan_problem(p_prefix || 'amount', 'negative',
          'The amount must be 0 or more.');
      else
        v_item := v_item || jsonb_build_object('amount', v_int);
      end if;
    elsif v_key = 'notes' then
      if jsonb_typeof(v_val) = 'string' and length(v_val #>> '{}') > private.music_video_max_length('notes') then
        v_problems := v_problems || private.plan_problem(p_prefix || 'notes', 'too_long',
          'Notes can have at most 2000 characters.');
      elsif jsonb_typeof(v_val) in ('string', 'null') then
        v_item := v_item || jsonb_build_object('notes', v_val);
      else
        v_problems := v_problems || private.plan_problem(p_prefix || 'notes', 'invalid_type', 'Notes must be text.');
      end if;
    elsif v_key <> 'id' then
      v_problems := v_problems || private.plan_problem(p_prefix || left(v_key, 60), 'unknown_field',
        format('Unknown field "%s" in a budget line item.', left(v_key, 60)));
    end if;
  end loop;
  if not p_item ? 'category' then
    v_problems := v_problems || private.plan_problem(p_prefix || 'category', 'required', 'Choose a category.');
  end if;
  if not p_item ? 'amount' then
    v_problems := v_problems || private.plan_problem(p_prefix || 'amount', 'required', 'Enter an amount.');
  end if;
  return jsonb_build_object(
    'item', case when jsonb_array_length(v_problems) = 0 then v_item end, 'problems', v_problems);
end
$$;

-- One cast assignment {cast_option_id, role_override, cost_estimate, confirmed, notes}. Keys
-- the plan document adds (id, name, role, cost_multiplier, projected_cost, requires_union) are
-- ignored, so a document's list can be sent back as is.
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
    elsif v_key in ('role_override', 'notes') then
      if jsonb_typeof(v_val) = 'string' and length(v_val #>> '{}') > private.music_video_max_length(v_key) then
        v_problems := v_problems || private.plan_problem(p_prefix || v_key, 'too_long',
          format('%s can have at most %s characters.', private.music_video_field_label(v_key),
            private.music_video_max_length(v_key)));
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
    elsif v_key not in ('id', 'name', 'role', 'cost_multiplier', 'projected_cost', 'requires_union') then
      v_problems := v_problems || private.plan_problem(p_prefix || left(v_key, 60), 'unknown_field',
        format('Unknown field "%s" in a cast assignment.', left(v_key, 60)));
    end if;
  end loop;
  if not p_item ? 'cast_option_id' then
    v_problems := v_problems || private.plan_problem(p_prefix || 'cast_option_id', 'required',
      'Choose a cast option.');
  end if;
  return jsonb_build_object(
    'item', case when jsonb_array_length(v_problems) = 0 then v_item end, 'problems', v_problems);
end
$$;

-- One platform target {platform, auto_sync, priority, launch_url, external_id}. For YouTube the
-- external id (what ingestion asks the API for) is parsed from launch_url when not given, and
-- must agree with it when both are given.
create or replace function private.music_video_parse_platform_target(p_item jsonb, p_prefix text)
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
  v_parsed text;
begin
  if jsonb_typeof(p_item) is distinct from 'object' then
    return jsonb_build_object('item', null, 'problems', jsonb_build_array(private.plan_problem(
      rtrim(p_prefix, '.'), 'invalid_type', 'Each platform target must be an object {platform, ...}.')));
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_item) as e order by e.key loop
    if v_key = 'platform' then
      if jsonb_typeof(v_val) = 'string'
         and (v_val #>> '{}') = any(enum_range(null::public.platform_enum)::text[]) then
        v_item := v_item || jsonb_build_object('platform', v_val #>> '{}');
      else
        v_problems := v_problems || private.plan_problem(p_prefix || 'platform', 'invalid_choice',
          'The platform must be one of ' || array_to_string(enum_range(null::public.platform_enum), ', ') || '.');
      end if;
    elsif v_key = 'auto_sync' then
      v_bool := coalesce(private.json_to_bool(v_val), case when jsonb_typeof(v_val) = 'null' then true end);
      if v_bool is null then
        v_problems := v_problems || private.plan_problem(p_prefix || 'auto_sync', 'invalid_type',
          'Auto sync must be true or false.');
      else
        v_item := v_item || jsonb_build_object('auto_sync', v_bool);
      end if;
    elsif v_key = 'priority' then
      v_int := private.json_to_int(v_val);
      if jsonb_typeof(v_val) = 'null' then
        v_item := v_item || jsonb_build_object('priority', null);
      elsif v_int is null or v_int < 0 then
        v_problems := v_problems || private.plan_problem(p_prefix || 'priority', 'invalid_type',
          'The priority must be a whole number of 0 or more.');
      else
        v_item := v_item || jsonb_build_object('priority', v_int);
      end if;
    elsif v_key in ('launch_url', 'external_id') then
      if jsonb_typeof(v_val) = 'string' and length(btrim(v_val #>> '{}')) > private.music_video_max_length(v_key) then
        v_problems := v_problems || private.plan_problem(p_prefix || v_key, 'too_long',
          format('%s can have at most %s characters.', private.music_video_field_label(v_key),
            private.music_video_max_length(v_key)));
      elsif jsonb_typeof(v_val) = 'string' and btrim(v_val #>> '{}') <> '' then
        v_item := v_item || jsonb_build_object(v_key, btrim(v_val #>> '{}'));
      elsif jsonb_typeof(v_val) in ('string', 'null') then
        v_item := v_item || jsonb_build_object(v_key, null);
      else
        v_problems := v_problems || private.plan_problem(p_prefix || v_key, 'invalid_type',
          private.music_video_field_label(v_key) || ' must be text.');
      end if;
    elsif v_key <> 'id' then
      v_problems := v_problems || private.plan_problem(p_prefix || left(v_key, 60), 'unknown_field',
        format('Unknown field "%s" in a platform target.', left(v_key, 60)));
    end if;
  end loop;
  if not p_item ? 'platform' then
    v_problems := v_problems || private.plan_problem(p_prefix || 'platform', 'required', 'Choose a platform.');
  end if;
  if v_item ->> 'platform' = 'youtube' then
    v_parsed := private.youtube_video_id(v_item ->> 'launch_url');
    if v_item ->> 'launch_url' is not null and v_parsed is null then
      v_problems := v_problems || private.plan_problem(p_prefix || 'launch_url', 'invalid_youtube_url',
        format('No YouTube video id found in "%s"; use a link such as https://www.youtube.com/watch?v=<id> '
          || 'or https://youtu.be/<id>.', left(v_item ->> 'launch_url', 200)));
    end if;
    if v_item ->> 'external_id' is not null and v_item ->> 'external_id' !~ '^[A-Za-z0-9_-]{11}$' then
      v_problems := v_problems || private.plan_problem(p_prefix || 'external_id', 'invalid_format',
        'A YouTube video id has 11 characters: letters, digits, "-" and "_".');
    elsif v_item ->> 'external_id' is not null and v_parsed is not null and v_parsed <> v_item ->> 'external_id' then
      v_problems := v_problems || private.plan_problem(p_prefix || 'external_id', 'mismatch',
        format('The external id %s does not match the video in the launch URL (%s).',
          v_item ->> 'external_id', v_parsed));
    elsif v_item ->> 'external_id' is null and v_parsed is not null then
      v_item := v_item || jsonb_build_object('external_id', v_parsed);
    end if;
  end if;
  return jsonb_build_object(
    'item', case when jsonb_array_length(v_problems) = 0 then v_item end, 'problems', v_problems);
end
$$;

-- A nested list (p_kind: line_items | cast_assignments | platform_targets) ->
-- {"items": [valid items] or null when the value is not a list, "problems": [...]}.
-- Line items may also come as an object {"direction": 5000, ...}. Duplicates (same category,
-- cast option or platform) and lists over 50 entries are problems.
create or replace function private.music_video_parse_list(p_kind text, p_list jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_list jsonb := p_list;
  v_items jsonb := '[]'::jsonb;
  v_problems jsonb := '[]'::jsonb;
  v_seen text[] := '{}';
  v_key_field text := case p_kind
    when 'line_items' then 'category' when 'cast_assignments' then 'cast_option_id' else 'platform' end;
  v_prefix text;
  v_result jsonb;
  v_key text;
  r record;
begin
  if p_kind = 'line_items' and jsonb_typeof(v_list) = 'object' then
    select coalesce(jsonb_agg(jsonb_build_object('category', e.key, 'amount', e.value) order by e.key), '[]'::jsonb)
    into v_list
    from jsonb_each(p_list) as e;
  end if;
  if jsonb_typeof(v_list) is distinct from 'array' then
    return jsonb_build_object('items', null, 'problems', jsonb_build_array(private.plan_problem(
      p_kind, 'invalid_type', private.music_video_field_label(p_kind) || ' must be a list.')));
  end if;
  if jsonb_array_length(v_list) > 50 then
    return jsonb_build_object('items', null, 'problems', jsonb_build_array(private.plan_problem(
      p_kind, 'too_many', private.music_video_field_label(p_kind) || ' can have at most 50 entries.')));
  end if;
  for r in select e.value, e.ordinality from jsonb_array_elements(v_list) with ordinality as e loop
    v_prefix := format('%s[%s].', p_kind, r.ordinality - 1);
    v_result := case p_kind
      when 'line_items' then private.music_video_parse_line_item(r.value, v_prefix)
      when 'cast_assignments' then private.music_video_parse_cast_item(r.value, v_prefix)
      else private.music_video_parse_platform_target(r.value, v_prefix)
    end;
    v_problems := v_problems || (v_result -> 'problems');
    v_key := v_result -> 'item' ->> v_key_field;
    if v_key is not null then
      if v_key = any(v_seen) then
        v_problems := v_problems || private.plan_problem(v_prefix || v_key_field, 'duplicate',
          format('%s lists %s twice.', private.music_video_field_label(p_kind), v_key));
      else
        v_seen := v_seen || v_key;
        v_items := v_items || jsonb_build_array(v_result -> 'item');
      end if;
    end if;
  end loop;
  return jsonb_build_object('items', v_items, 'problems', v_problems);
end
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'private.music_video_field_label(text)',
    'private.music_video_max_length(text)',
    'private.music_video_parse_line_item(jsonb, text)',
    'private.music_video_parse_cast_item(jsonb, text)',
    'private.music_video_parse_platform_target(jsonb, text)',
    'private.music_video_parse_list(text, jsonb)'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to authenticated, service_role', f);
  end loop;
end
$$;
