-- Reading a plan patch from RPC input (the fields of music_videos plus the nested lists) and
-- writing the lists, with the slug helpers: the input half of every plan write. Types and
-- catalog membership only; the plan rules are private.music_video_plan_check.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The fields of a plan patch (keys = music_videos columns, plus the three lists) ->
-- {"values": {column: normalized value}, "lists": {kind: items}, "problems": [...]}.
-- values feeds jsonb_populate_record, so a key present sets the column (null clears it) and
-- a key absent leaves it. p_context is create | update | draft: status may only be set by
-- update (and submit).
create or replace function private.music_video_parse_patch(p_patch jsonb, p_context text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_values jsonb := '{}'::jsonb;
  v_lists jsonb := '{}'::jsonb;
  v_problems jsonb := '[]'::jsonb;
  v_key text;
  v_val jsonb;
  v_kind text;
  v_label text;
  v_text text;
  v_int integer;
  v_date date;
  v_bool boolean;
  v_uuid uuid;
  v_list jsonb;
begin
  if jsonb_typeof(p_patch) is distinct from 'object' then
    return jsonb_build_object('values', '{}'::jsonb, 'lists', '{}'::jsonb, 'problems', jsonb_build_array(
      private.plan_problem('patch', 'invalid_type', 'The patch must be a JSON object of the fields to change.')));
  end if;
  for v_key, v_val in select e.key, e.value from jsonb_each(p_patch) as e order by e.key loop
    v_label := private.music_video_field_label(v_key);
    v_kind := case
      when v_key in ('title', 'narrative_outline', 'wizard_step', 'spotify_track_uri', 'apple_music_id', 'artist_name')
        then 'text'
      when v_key in ('video_theme_id', 'art_style_id', 'budget_band_id') then 'catalog'
      when v_key in ('quality_tier', 'primary_platform', 'sync_strategy', 'status') then 'enum'
      when v_key in ('budget_estimate', 'kpi_view_target') then 'count'
      when v_key in ('target_release_date', 'shoot_start_date', 'shoot_end_date') then 'date'
      when v_key in ('line_items', 'cast_assignments', 'platform_targets') then 'list'
      when v_key in ('slug', 'kpi_chart_target', 'promo_only', 'isrc', 'wizard_state') then v_key
      when v_key in ('id', 'release_id', 'created_by', 'created_at', 'updated_at', 'submitted_at') then 'read_only'
      else 'unknown'
    end;
    if v_kind = 'unknown' then
      v_problems := v_problems || private.plan_problem(left(v_key, 60), 'unknown_field',
        format('Unknown field "%s".', left(v_key, 60)));
      continue;
    end if;
    if v_kind = 'read_only' or (v_key = 'status' and p_context <> 'update') then
      v_problems := v_problems || private.plan_problem(v_key, 'read_only',
        case when v_key = 'status' then 'The status changes by submitting the plan or moving it on the board.'
          else v_label || ' cannot be changed.' end);
      continue;
    end if;
    if v_kind = 'list' then
      v_list := private.music_video_parse_list(v_key, v_val);
      v_problems := v_problems || (v_list -> 'problems');
      if jsonb_typeof(v_list -> 'items') = 'array' then
        v_lists := v_lists || jsonb_build_object(v_key, v_list -> 'items');
      end if;
      continue;
    end if;
    if jsonb_typeof(v_val) = 'null' then
      if v_key in ('sync_strategy', 'promo_only', 'status', 'wizard_state') then
        v_problems := v_problems || private.plan_problem(v_key, 'required', v_label || ' cannot be empty.');
      else
        v_values := v_values || jsonb_build_object(v_key, null);
      end if;
      continue;
    end if;
    v_text := case when jsonb_typeof(v_val) = 'string' then v_val #>> '{}' end;
    if v_kind = 'text' then
      if v_text is null then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_type', v_label || ' must be text.');
      elsif length(v_text) > private.music_video_max_length(v_key) then
        v_problems := v_problems || private.plan_problem(v_key, 'too_long',
          format('%s can have at most %s characters.', v_label, private.music_video_max_length(v_key)));
      else
        -- A blank title is "not set yet" (drafts); submit requires one.
        v_values := v_values || jsonb_build_object(v_key,
          case when v_key = 'title' then nullif(btrim(v_text), '') else v_text end);
      end if;
    elsif v_kind = 'slug' then
      v_text := btrim(v_text);
      if v_text = '' then
        v_values := v_values || jsonb_build_object('slug', null);
      elsif v_text is null or v_text !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or length(v_text) > 100 then
        v_problems := v_problems || private.plan_problem('slug', 'invalid_format',
          'The slug may only use lowercase letters, digits and single hyphens (at most 100 characters)'
          || coalesce(format(', e.g. "%s"', private.slugify(left(v_text, 100))), '') || '.');
      else
        v_values := v_values || jsonb_build_object('slug', v_text);
      end if;
    elsif v_kind = 'catalog' then
      v_uuid := private.try_uuid(btrim(v_text));
      if v_uuid is null or not (case v_key
        when 'video_theme_id' then exists (select 1 from public.music_video_themes as t where t.id = v_uuid)
        when 'art_style_id' then exists (select 1 from public.music_video_art_styles as s where s.id = v_uuid)
        else exists (select 1 from public.music_video_budgets as b where b.id = v_uuid)
      end) then
        v_problems := v_problems || private.plan_problem(v_key, 'unknown',
          format('%s %s is not in the catalog.', v_label, left(v_val::text, 80)));
      else
        v_values := v_values || jsonb_build_object(v_key, v_uuid);
      end if;
    elsif v_kind = 'enum' then
      if v_text is null or not v_text = any(case v_key
        when 'quality_tier' then enum_range(null::public.quality_tier_enum)::text[]
        when 'primary_platform' then enum_range(null::public.platform_enum)::text[]
        when 'sync_strategy' then enum_range(null::public.sync_strategy_enum)::text[]
        else enum_range(null::public.video_status_enum)::text[]
      end) then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_choice',
          format('%s must be one of %s.', v_label, array_to_string(case v_key
            when 'quality_tier' then enum_range(null::public.quality_tier_enum)::text[]
            when 'primary_platform' then enum_range(null::public.platform_enum)::text[]
            when 'sync_strategy' then enum_range(null::public.sync_strategy_enum)::text[]
            else enum_range(null::public.video_status_enum)::text[]
          end, ', ')));
      else
        v_values := v_values || jsonb_build_object(v_key, v_text);
      end if;
    elsif v_kind = 'count' then
      v_int := private.json_to_int(v_val);
      if v_int is null then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_type',
          v_label || ' must be a whole number (up to 2147483647).');
      elsif v_int < 0 then
        v_problems := v_problems || private.plan_problem(v_key, 'negative', v_label || ' must be 0 or more.');
      else
        v_values := v_values || jsonb_build_object(v_key, v_int);
      end if;
    elsif v_kind = 'date' then
      v_date := private.json_to_date(v_val);
      if v_date is null then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_type',
          v_label || ' must be a date written YYYY-MM-DD.');
      else
        v_values := v_values || jsonb_build_object(v_key, v_date);
      end if;
    elsif v_kind = 'kpi_chart_target' then
      if v_text is null or not exists (
        select 1 from public.music_video_chart_sources as cs where cs.id = v_text
      ) then
        v_problems := v_problems || private.plan_problem(v_key, 'unknown_chart_source',
          format('The chart target must be one of the recognised charts: %s.',
            (select string_agg(cs.id, ', ' order by cs.id) from public.music_video_chart_sources as cs)));
      else
        v_values := v_values || jsonb_build_object(v_key, v_text);
      end if;
    elsif v_kind = 'promo_only' then
      v_bool := private.json_to_bool(v_val);
      if v_bool is null then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_type', 'Promo only must be true or false.');
      else
        v_values := v_values || jsonb_build_object(v_key, v_bool);
      end if;
    elsif v_kind = 'isrc' then
      v_text := upper(regexp_replace(coalesce(v_text, ''), '[\s-]', '', 'g'));
      if v_text !~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$' then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_format',
          'The ISRC must look like USRC17607839 (country, registrant, year, designation).');
      else
        v_values := v_values || jsonb_build_object(v_key, v_text);
      end if;
    elsif v_kind = 'wizard_state' then
      if jsonb_typeof(v_val) <> 'object' then
        v_problems := v_problems || private.plan_problem(v_key, 'invalid_type', 'The wizard state must be an object.');
      else
        v_values := v_values || jsonb_build_object(v_key, v_val);
      end if;
    end if;
  end loop;
  return jsonb_build_object('values', v_values, 'lists', v_lists, 'problems', v_problems);
end
$$;

-- Replaces the nested lists present in p_lists (as returned by music_video_parse_patch) on a
-- video: rows not in the new list are deleted, the others upserted (ids are kept). security
-- invoker: RLS on the child tables applies.
create or replace function private.music_video_apply_lists(p_music_video_id uuid, p_lists jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if jsonb_typeof(p_lists -> 'line_items') = 'array' then
    delete from public.music_video_budget_line_items as li
    where
      li.music_video_id = p_music_video_id
      and li.category not in (select x.value ->> 'category' from jsonb_array_elements(p_lists -> 'line_items') as x);
    insert into public.music_video_budget_line_items (music_video_id, category, amount, notes)
    select p_music_video_id, x.value ->> 'category', (x.value ->> 'amount')::integer, x.value ->> 'notes'
    from jsonb_array_elements(p_lists -> 'line_items') as x
    on conflict on constraint music_video_budget_line_items_video_category_key
    do update set amount = excluded.amount, notes = excluded.notes;
  end if;
  if jsonb_typeof(p_lists -> 'cast_assignments') = 'array' then
    delete from public.music_video_cast_assignments as ca
    where
      ca.music_video_id = p_music_video_id
      and ca.cast_option_id not in (
        select (x.value ->> 'cast_option_id')::uuid from jsonb_array_elements(p_lists -> 'cast_assignments') as x
      );
    insert into public.music_video_cast_assignments
      (music_video_id, cast_option_id, role_override, cost_estimate, confirmed, notes)
    select
      p_music_video_id, (x.value ->> 'cast_option_id')::uuid, x.value ->> 'role_override',
      (x.value ->> 'cost_estimate')::integer, coalesce((x.value ->> 'confirmed')::boolean, false),
      x.value ->> 'notes'
    from jsonb_array_elements(p_lists -> 'cast_assignments') as x
    on conflict on constraint music_video_cast_assignments_video_option_key
    do update set
      role_override = excluded.role_override, cost_estimate = excluded.cost_estimate,
      confirmed = excluded.confirmed, notes = excluded.notes;
  end if;
  if jsonb_typeof(p_lists -> 'platform_targets') = 'array' then
    delete from public.music_video_platform_targets as pt
    where
      pt.music_video_id = p_music_video_id
      and pt.platform::text not in (
        select x.value ->> 'platform' from jsonb_array_elements(p_lists -> 'platform_targets') as x
      );
    insert into public.music_video_platform_targets
      (music_video_id, platform, auto_sync, priority, launch_url, external_id)
    select
      p_music_video_id, (x.value ->> 'platform')::public.platform_enum,
      coalesce((x.value ->> 'auto_sync')::boolean, true), (x.value ->> 'priority')::integer,
      x.value ->> 'launch_url', x.value ->> 'external_id'
    from jsonb_array_elements(p_lists -> 'platform_targets') as x
    on conflict on constraint music_video_platform_targets_video_platform_key
    do update set
      auto_sync = excluded.auto_sync, priority = excluded.priority,
      launch_url = excluded.launch_url, external_id = excluded.external_id;
  end if;
end
$$;

-- Whether another video of the release already uses the slug.
create or replace function private.music_video_slug_taken(p_release_id uuid, p_slug text, p_except uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1
    from public.music_videos as v
    where v.release_id = p_release_id and v.slug = p_slug and v.id is distinct from p_except
  )
$$;

-- A free slug for a title in a release: the slugified title ("video" when nothing is left),
-- then -2, -3, ... when taken. Null for a null title.
create or replace function private.music_video_free_slug(p_release_id uuid, p_title text, p_except uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_base text;
  v_n integer := 1;
begin
  if p_title is null then
    return null;
  end if;
  v_base := coalesce(private.slugify(p_title), 'video');
  loop
    if not private.music_video_slug_taken(p_release_id, case when v_n = 1 then v_base else v_base || '-' || v_n end,
      p_except) then
      return case when v_n = 1 then v_base else v_base || '-' || v_n end;
    end if;
    v_n := v_n + 1;
  end loop;
end
$$;

-- Rule problems whose field already has an input problem are dropped ("theme is not in the
-- catalog" already says more than "choose a theme").
create or replace function private.merge_plan_problems(p_input jsonb, p_rules jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(p_input, '[]'::jsonb) || coalesce((
    select jsonb_agg(r.value order by r.ordinality)
    from jsonb_array_elements(coalesce(p_rules, '[]'::jsonb)) with ordinality as r (value, ordinality)
    where substring(r.value ->> 'field' from '^[a-z_]+') not in (
      select substring(i.value ->> 'field' from '^[a-z_]+')
      from jsonb_array_elements(coalesce(p_input, '[]'::jsonb)) as i (value)
      where substring(i.value ->> 'field' from '^[a-z_]+') is not null
    )
  ), '[]'::jsonb)
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'private.music_video_parse_patch(jsonb, text)',
    'private.music_video_apply_lists(uuid, jsonb)',
    'private.music_video_slug_taken(uuid, text, uuid)',
    'private.music_video_free_slug(uuid, text, uuid)',
    'private.merge_plan_problems(jsonb, jsonb)'
  ] loop
    execute format('revoke all on function %s from public', f);
    execute format('grant execute on function %s to authenticated, service_role', f);
  end loop;
end
$$;
