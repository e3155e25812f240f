-- The plan rules of spec 4.3, in one place, used by create, submit, update, the cast and the
-- platform-target RPCs and the status trigger. They collect every violation and report them
-- together as one PT422 whose detail is {"problems": [{field, code, message, ...}]}.
--
-- Budget arithmetic (documented contract):
--   allocation_total = sum of the plan's budget line items;
--   cast cost of an assignment = round(cost_estimate * the cast option's cost_multiplier)
--     (a missing cost_estimate counts 0); cast_cost_total = their sum;
--   projected_total = allocation_total + cast_cost_total;
--   contingency = max_cost * budget_contingency_pct / 100 (music_video_settings, default 5);
--   hard_limit = max_cost + contingency.
--   allocation_total < min_cost                   -> problem budget_below_band
--   allocation_total > hard_limit                 -> problem budget_over_contingency (hard stop)
--   max_cost < allocation_total <= hard_limit     -> warning budget_over_band
--   projected_total > max_cost (with cast costs)  -> warning cast_cost_over_band

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One field error. extra carries machine-readable context (e.g. the conflicting dates).
create or replace function private.plan_problem(
  p_field text, p_code text, p_message text, p_extra jsonb default null
)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object('field', p_field, 'code', p_code, 'message', p_message)
    || coalesce(p_extra, '{}'::jsonb)
$$;

-- The admin-editable contingency, in percent; 5 when unset or not a number from 0 to 100.
create or replace function private.music_video_budget_contingency_pct()
returns numeric
language sql
stable
set search_path = ''
as $$
  select coalesce((
    select case
      when jsonb_typeof(s.value) = 'number' and (s.value #>> '{}')::numeric between 0 and 100
        then (s.value #>> '{}')::numeric
      when jsonb_typeof(s.value) = 'string' and btrim(s.value #>> '{}') ~ '^[0-9]{1,3}(\.[0-9]+)?$'
        and btrim(s.value #>> '{}')::numeric between 0 and 100
        then btrim(s.value #>> '{}')::numeric
    end
    from public.music_video_settings as s
    where s.key = 'budget_contingency_pct'
  ), 5)
$$;

-- Confirmed bookings of this video's cast options on OTHER videos (any release, archived ones
-- excepted) whose shoot overlaps [p_start, p_end]. security definer because a cast option is
-- shared: its bookings on other owners' videos count too. It reveals only the dates; the other
-- video's id and title only when the caller may access that video anyway. Asking about a video
-- the caller cannot access returns nothing.
create or replace function private.music_video_cast_bookings(
  p_music_video_id uuid, p_start date, p_end date
)
returns table (
  cast_option_id uuid,
  other_video_id uuid,
  other_video_title text,
  other_shoot_start date,
  other_shoot_end date
)
language sql
stable
security definer
set search_path = ''
as $$
  select
    ca.cast_option_id,
    case when private.can_access_video(o.id) then o.id end,
    case when private.can_access_video(o.id) then o.title end,
    o.shoot_start_date,
    coalesce(o.shoot_end_date, o.shoot_start_date)
  from public.music_video_cast_assignments as mine
  inner join public.music_video_cast_assignments as ca
    on
      mine.cast_option_id = ca.cast_option_id
      and mine.music_video_id <> ca.music_video_id
      and ca.confirmed
  inner join public.music_videos as o on ca.music_video_id = o.id
  where
    mine.music_video_id = p_music_video_id
    and p_start is not null
    and private.can_access_video(p_music_video_id)
    and o.status <> 'archived'
    and o.shoot_start_date is not null
    and o.shoot_start_date <= coalesce(p_end, p_start)
    and coalesce(o.shoot_end_date, o.shoot_start_date) >= p_start
  order by o.shoot_start_date, ca.cast_option_id
$$;

-- Every rule of spec 4.3 against a plan: p_video is the row as it is or is about to be stored
-- (the status trigger passes NEW); its line items, cast and platform targets are read from the
-- tables, so callers write those first in the same transaction. p_at_submit adds the rule that
-- only applies when a plan is submitted: the shoot may not start in the past (UTC date).
-- Returns {"problems": [...], "warnings": [...], "availability_conflicts": [...], "budget": {...}}.
-- It raises nothing; callers decide (drafts show problems, submits raise them).
create or replace function private.music_video_plan_check(
  p_video public.music_videos, p_at_submit boolean default false
)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_problems jsonb := '[]'::jsonb;
  v_warnings jsonb := '[]'::jsonb;
  v_conflicts jsonb := '[]'::jsonb;
  v_band public.music_video_budgets;
  v_pct numeric := private.music_video_budget_contingency_pct();
  v_hard_limit numeric;
  v_allocation bigint;
  v_cast_cost bigint;
  v_targets integer;
  v_has_youtube boolean;
  v_start date := p_video.shoot_start_date;
  v_end date := coalesce(p_video.shoot_end_date, p_video.shoot_start_date);
  v_today date := timezone('utc', now())::date;
  v_conflict jsonb;
  r record;
begin
  -- Required at submit.
  if p_video.title is null or btrim(p_video.title) = '' then
    v_problems := v_problems || private.plan_problem('title', 'required', 'Give the video a title.');
  end if;
  if p_video.release_id is null then
    v_problems := v_problems || private.plan_problem('release_id', 'required', 'Choose the release.');
  end if;
  if p_video.video_theme_id is null then
    v_problems := v_problems || private.plan_problem('video_theme_id', 'required', 'Choose a theme.');
  end if;
  if p_video.art_style_id is null then
    v_problems := v_problems || private.plan_problem('art_style_id', 'required', 'Choose an art style.');
  end if;
  if p_video.budget_band_id is null then
    v_problems := v_problems || private.plan_problem('budget_band_id', 'required', 'Choose a budget band.');
  end if;
  if p_video.quality_tier is null then
    v_problems := v_problems
      || private.plan_problem('quality_tier', 'required', 'Choose a production quality tier.');
  end if;
  if p_video.target_release_date is null then
    v_problems := v_problems
      || private.plan_problem('target_release_date', 'required', 'Set a target release date.');
  end if;

  -- Platforms: at least one; YouTube among them unless the video is promo only.
  select count(*), coalesce(bool_or(t.platform = 'youtube'), false)
  into v_targets, v_has_youtube
  from public.music_video_platform_targets as t
  where t.music_video_id = p_video.id;
  if v_targets = 0 then
    v_problems := v_problems || private.plan_problem(
      'platform_targets', 'required', 'Select at least one distribution platform.');
  elsif not v_has_youtube and not coalesce(p_video.promo_only, false) then
    v_problems := v_problems || private.plan_problem(
      'platform_targets', 'youtube_required',
      'YouTube is required among the platforms (metrics come from it) unless the video is promo only.');
  end if;

  -- KPI targets (the column constraint and foreign key hold them too).
  if p_video.kpi_view_target < 0 then
    v_problems := v_problems || private.plan_problem(
      'kpi_view_target', 'negative', 'The view target must be a whole number of 0 or more.');
  end if;

  -- Dates.
  if p_video.shoot_start_date is not null and p_video.shoot_end_date is not null
     and p_video.shoot_start_date > p_video.shoot_end_date then
    v_problems := v_problems || private.plan_problem(
      'shoot_end_date', 'before_start',
      format('The shoot ends (%s) before it starts (%s).', p_video.shoot_end_date, p_video.shoot_start_date));
  end if;
  if p_at_submit and p_video.shoot_start_date < v_today then
    v_problems := v_problems || private.plan_problem(
      'shoot_start_date', 'in_past',
      format('The shoot cannot start in the past (%s is before today, %s).', p_video.shoot_start_date, v_today));
  end if;

  -- Budget.
  select coalesce(sum(li.amount), 0)
  into v_allocation
  from public.music_video_budget_line_items as li
  where li.music_video_id = p_video.id;
  select coalesce(sum(round(coalesce(ca.cost_estimate, 0) * co.cost_multiplier)), 0)
  into v_cast_cost
  from public.music_video_cast_assignments as ca
  inner join public.music_video_cast_options as co on ca.cast_option_id = co.id
  where ca.music_video_id = p_video.id;

  if p_video.budget_band_id is not null then
    select b.* into v_band from public.music_video_budgets as b where b.id = p_video.budget_band_id;
    v_hard_limit := v_band.max_cost + v_band.max_cost * v_pct / 100;
    if v_allocation < v_band.min_cost then
      v_problems := v_problems || private.plan_problem(
        'line_items', 'budget_below_band',
        format('The allocations total %s %s, below the %s band''s minimum of %s %s.',
          v_allocation, v_band.currency_code, v_band.name, v_band.min_cost, v_band.currency_code),
        jsonb_build_object('allocation_total', v_allocation, 'min_cost', v_band.min_cost));
    elsif v_allocation > v_hard_limit then
      v_problems := v_problems || private.plan_problem(
        'line_items', 'budget_over_contingency',
        format('The allocations total %s %s, over the %s band''s limit of %s %s (maximum %s plus %s%% contingency).',
          v_allocation, v_band.currency_code, v_band.name, trunc(v_hard_limit), v_band.currency_code,
          v_band.max_cost, v_pct),
        jsonb_build_object('allocation_total', v_allocation, 'hard_limit', trunc(v_hard_limit)));
    elsif v_allocation > v_band.max_cost then
      v_warnings := v_warnings || private.plan_problem(
        'line_items', 'budget_over_band',
        format('The allocations total %s %s, over the %s band''s maximum of %s %s but within the %s%% contingency.',
          v_allocation, v_band.currency_code, v_band.name, v_band.max_cost, v_band.currency_code, v_pct));
    end if;
    if v_cast_cost > 0 and v_allocation + v_cast_cost > v_band.max_cost then
      v_warnings := v_warnings || private.plan_problem(
        'cast_assignments', 'cast_cost_over_band',
        format('With cast costs of %s %s (after cost multipliers) the projected total is %s %s, over the %s band''s maximum of %s %s.',
          v_cast_cost, v_band.currency_code, v_allocation + v_cast_cost, v_band.currency_code,
          v_band.name, v_band.max_cost, v_band.currency_code),
        jsonb_build_object('projected_total', v_allocation + v_cast_cost, 'max_cost', v_band.max_cost));
    end if;
  end if;

  -- Cast availability on the shoot days: the option's own unavailable ranges, then confirmed
  -- bookings on other videos' overlapping shoots.
  if v_start is not null and v_start <= v_end then
    for r in
      select
        ca.id as assignment_id, ca.cast_option_id, co.name, co.role,
        u.from_date, coalesce(u.to_date, u.from_date) as to_date, u.reason
      from public.music_video_cast_assignments as ca
      inner join public.music_video_cast_options as co on ca.cast_option_id = co.id
      cross join lateral (
        select
          private.json_to_date(e.value -> 'from') as from_date,
          private.json_to_date(e.value -> 'to') as to_date,
          e.value ->> 'reason' as reason
        from jsonb_array_elements(
          case when jsonb_typeof(co.availability -> 'unavailable') = 'array'
            then co.availability -> 'unavailable' else '[]'::jsonb end
        ) as e (value)
        where jsonb_typeof(e.value) = 'object'
      ) as u
      where
        ca.music_video_id = p_video.id
        and u.from_date is not null
        and u.from_date <= v_end
        and coalesce(u.to_date, u.from_date) >= v_start
      order by co.name, u.from_date
    loop
      v_conflict := jsonb_build_object(
        'kind', 'unavailable', 'assignment_id', r.assignment_id, 'cast_option_id', r.cast_option_id,
        'name', r.name, 'role', r.role, 'from', r.from_date, 'to', r.to_date, 'reason', r.reason,
        'message', format('%s (%s) is unavailable from %s to %s%s, during the shoot (%s to %s).',
          r.name, r.role, r.from_date, r.to_date,
          case when nullif(btrim(r.reason), '') is not null then ' (' || btrim(r.reason) || ')' else '' end,
          v_start, v_end));
      v_conflicts := v_conflicts || v_conflict;
    end loop;
    for r in
      select b.*, co.name, co.role, ca.id as assignment_id
      from private.music_video_cast_bookings(p_video.id, v_start, v_end) as b
      inner join public.music_video_cast_options as co on b.cast_option_id = co.id
      inner join public.music_video_cast_assignments as ca
        on ca.music_video_id = p_video.id and b.cast_option_id = ca.cast_option_id
    loop
      v_conflict := jsonb_build_object(
        'kind', 'booked', 'assignment_id', r.assignment_id, 'cast_option_id', r.cast_option_id,
        'name', r.name, 'role', r.role, 'from', r.other_shoot_start, 'to', r.other_shoot_end,
        'conflicting_video_id', r.other_video_id, 'conflicting_video_title', r.other_video_title,
        'message', format('%s (%s) is confirmed on %s shooting %s to %s, which overlaps this shoot (%s to %s).',
          r.name, r.role,
          case when r.other_video_id is not null then format('"%s"', coalesce(r.other_video_title, 'an untitled video'))
            else 'another release''s video' end,
          r.other_shoot_start, r.other_shoot_end, v_start, v_end));
      v_conflicts := v_conflicts || v_conflict;
    end loop;
    select coalesce(jsonb_agg(private.plan_problem(
      'cast_assignments',
      case c.value ->> 'kind' when 'booked' then 'cast_double_booked' else 'cast_unavailable' end,
      c.value ->> 'message', jsonb_build_object('conflict', c.value - 'message')
    )), '[]'::jsonb)
    into v_conflict
    from jsonb_array_elements(v_conflicts) as c (value);
    v_problems := v_problems || v_conflict;
  end if;

  return jsonb_build_object(
    'problems', v_problems,
    'warnings', v_warnings,
    'availability_conflicts', v_conflicts,
    'budget', jsonb_build_object(
      'budget_band_id', v_band.id,
      'band', v_band.name,
      'currency_code', v_band.currency_code,
      'min_cost', v_band.min_cost,
      'max_cost', v_band.max_cost,
      'contingency_pct', v_pct,
      'hard_limit', trunc(v_hard_limit),
      'allocation_total', v_allocation,
      'cast_cost_total', v_cast_cost,
      'projected_total', v_allocation + v_cast_cost
    )
  );
end
$$;

-- Raises the collected problems as one error: PT409 when the only problem is a taken slug (a
-- conflict), PT422 otherwise. Does nothing for an empty list.
create or replace function private.raise_plan_problems(p_problems jsonb)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_count integer := coalesce(jsonb_array_length(p_problems), 0);
  v_messages text;
begin
  if v_count = 0 then
    return;
  end if;
  if not exists (
    select 1 from jsonb_array_elements(p_problems) as p (value) where p.value ->> 'code' <> 'slug_taken'
  ) then
    raise exception using
      errcode = 'PT409',
      message = p_problems -> 0 ->> 'message',
      detail = jsonb_build_object('problems', p_problems)::text,
      hint = 'Choose another slug, or leave it empty to have one generated from the title.';
  end if;
  select string_agg(p.value ->> 'message', ' ' order by p.ordinality)
  into v_messages
  from jsonb_array_elements(p_problems) with ordinality as p (value, ordinality);
  raise exception using
    errcode = 'PT422',
    message = format('The plan has %s problem%s: %s', v_count,
      case when v_count = 1 then '' else 's' end, left(v_messages, 2000)),
    detail = jsonb_build_object('problems', p_problems)::text,
    hint = 'Fix the fields listed in detail.problems and try again.';
end
$$;

revoke all on function private.plan_problem(text, text, text, jsonb) from public;
revoke all on function private.music_video_budget_contingency_pct() from public;
revoke all on function private.music_video_cast_bookings(uuid, date, date) from public;
revoke all on function private.music_video_plan_check(public.music_videos, boolean) from public;
revoke all on function private.raise_plan_problems(jsonb) from public;
grant execute on function private.plan_problem(text, text, text, jsonb) to authenticated, service_role;
grant execute on function private.music_video_budget_contingency_pct() to authenticated, service_role;
grant execute on function private.music_video_cast_bookings(uuid, date, date) to authenticated, service_role;
grant execute on function private.music_video_plan_check(public.music_videos, boolean)
to authenticated, service_role;
grant execute on function private.raise_plan_problems(jsonb) to authenticated, service_role;
