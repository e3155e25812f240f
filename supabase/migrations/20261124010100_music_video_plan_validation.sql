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
-- One statement, every child table read once through its music_video_id index: problems come
-- in rule order (required fields, platforms, KPI, dates, budget, then one per availability
-- conflict), conflicts unavailable-first (by name, date), then bookings in
-- private.music_video_cast_bookings' order. security definer with the video's own access rule
-- (private.can_access_video, asked once) gating its line items, cast and platform targets for
-- the API roles (authenticated, anon: the roles RLS binds; current_setting('role') is the
-- caller's role inside a definer function): that is exactly what those tables' policies let a
-- caller see (all of a visible video's rows, none of another's), without re-running the
-- policies' helpers per table on every write and read. Other callers (service role, owner,
-- migrations) bypass RLS and see every row, as before. plpgsql for the cached plan.
create or replace function private.music_video_plan_check(
  p_video public.music_videos, p_at_submit boolean default false
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_visible boolean := current_setting('role') not in ('authenticated', 'anon')
    or private.can_access_video(p_video.id);
begin
  return (
    with
    shoot as (
      select
        p_video.shoot_start_date as v_start,
        coalesce(p_video.shoot_end_date, p_video.shoot_start_date) as v_end,
        p_video.shoot_start_date is not null
        and p_video.shoot_start_date <= coalesce(p_video.shoot_end_date, p_video.shoot_start_date) as checked
    ),
    targets as (
      select count(*) as n, coalesce(bool_or(t.platform = 'youtube'), false) as has_youtube
      from public.music_video_platform_targets as t
      where t.music_video_id = p_video.id and v_visible
    ),
    cast_rows as (
      select ca.id, ca.cast_option_id, ca.cost_estimate, co.name, co.role, co.cost_multiplier, co.availability
      from public.music_video_cast_assignments as ca
      inner join public.music_video_cast_options as co on ca.cast_option_id = co.id
      where ca.music_video_id = p_video.id and v_visible
    ),
    budget as (
      select
        b.id as band_id,
        b.name as band_name,
        b.currency_code,
        b.min_cost,
        b.max_cost,
        x.pct,
        b.max_cost + b.max_cost * x.pct / 100 as hard_limit,
        a.total as allocation,
        cc.total as cast_cost
      from (select private.music_video_budget_contingency_pct() as pct) as x
      cross join (
        select coalesce(sum(li.amount), 0)::bigint as total
        from public.music_video_budget_line_items as li
        where li.music_video_id = p_video.id and v_visible
      ) as a
      cross join (
        select coalesce(sum(round(coalesce(c.cost_estimate, 0) * c.cost_multiplier)), 0)::bigint as total
        from cast_rows as c
      ) as cc
      left join public.music_video_budgets as b on p_video.budget_band_id = b.id
    ),
    band_verdict as (
      select
        bu.*,
        case
          when p_video.budget_band_id is null then null
          when bu.allocation < bu.min_cost then 'budget_below_band'
          when bu.allocation > bu.hard_limit then 'budget_over_contingency'
          when bu.allocation > bu.max_cost then 'budget_over_band'
        end as verdict
      from budget as bu
    ),
    unavailable as (
      select
        c.name,
        u.from_date,
        jsonb_build_object(
          'kind', 'unavailable', 'assignment_id', c.id, 'cast_option_id', c.cast_option_id,
          'name', c.name, 'role', c.role, 'from', u.from_date, 'to', coalesce(u.to_date, u.from_date),
          'reason', u.reason,
          'message', format('%s (%s) is unavailable from %s to %s%s, during the shoot (%s to %s).',
            c.name, c.role, u.from_date, coalesce(u.to_date, u.from_date),
            case when nullif(btrim(u.reason), '') is not null then ' (' || btrim(u.reason) || ')' else '' end,
            sh.v_start, sh.v_end)
        ) as conflict
      from shoot as sh
      cross join cast_rows as c
      cross join lateral (
        select
          private.json_to_date(e.value -> 'from') as from_date,
          private.json_to_date(e.value -> 'to') as to_date,
          e.value ->> 'reason' as reason
        from jsonb_array_elements(
          case when jsonb_typeof(c.availability -> 'unavailable') = 'array'
            then c.availability -> 'unavailable' else '[]'::jsonb end
        ) as e (value)
        where jsonb_typeof(e.value) = 'object'
      ) as u
      where
        sh.checked
        and u.from_date is not null
        and u.from_date <= sh.v_end
        and coalesce(u.to_date, u.from_date) >= sh.v_start
    ),
    booked as (
      select
        b.ord,
        jsonb_build_object(
          'kind', 'booked', 'assignment_id', c.id, 'cast_option_id', b.cast_option_id,
          'name', c.name, 'role', c.role, 'from', b.other_shoot_start, 'to', b.other_shoot_end,
          'conflicting_video_id', b.other_video_id, 'conflicting_video_title', b.other_video_title,
          'message', format('%s (%s) is confirmed on %s shooting %s to %s, which overlaps this shoot (%s to %s).',
            c.name, c.role,
            case when b.other_video_id is not null then format('"%s"', coalesce(b.other_video_title, 'an untitled video'))
              else 'another release''s video' end,
            b.other_shoot_start, b.other_shoot_end, sh.v_start, sh.v_end)
        ) as conflict
      from shoot as sh
      cross join lateral private.music_video_cast_bookings(p_video.id, sh.v_start, sh.v_end)
        with ordinality as b (
          cast_option_id, other_video_id, other_video_title, other_shoot_start, other_shoot_end, ord
        )
      inner join cast_rows as c on b.cast_option_id = c.cast_option_id
      where sh.checked
    ),
    conflicts as (
      select
        coalesce((select jsonb_agg(u.conflict order by u.name, u.from_date) from unavailable as u), '[]'::jsonb)
        || coalesce((select jsonb_agg(b.conflict order by b.ord) from booked as b), '[]'::jsonb) as list
    ),
    problems as (
      select 1 as ord, private.plan_problem('title', 'required', 'Give the video a title.') as problem
      where p_video.title is null or btrim(p_video.title) = ''
      union all
      select 2, private.plan_problem('release_id', 'required', 'Choose the release.')
      where p_video.release_id is null
      union all
      select 3, private.plan_problem('video_theme_id', 'required', 'Choose a theme.')
      where p_video.video_theme_id is null
      union all
      select 4, private.plan_problem('art_style_id', 'required', 'Choose an art style.')
      where p_video.art_style_id is null
      union all
      select 5, private.plan_problem('budget_band_id', 'required', 'Choose a budget band.')
      where p_video.budget_band_id is null
      union all
      select 6, private.plan_problem('quality_tier', 'required', 'Choose a production quality tier.')
      where p_video.quality_tier is null
      union all
      select 7, private.plan_problem('target_release_date', 'required', 'Set a target release date.')
      where p_video.target_release_date is null
      union all
      select
        8,
        case
          when t.n = 0 then private.plan_problem(
            'platform_targets', 'required', 'Select at least one distribution platform.')
          else private.plan_problem(
            'platform_targets', 'youtube_required',
            'YouTube is required among the platforms (metrics come from it) unless the video is promo only.')
        end
      from targets as t
      where t.n = 0 or (not t.has_youtube and not coalesce(p_video.promo_only, false))
      union all
      select 9, private.plan_problem(
        'kpi_view_target', 'negative', 'The view target must be a whole number of 0 or more.')
      where p_video.kpi_view_target < 0
      union all
      select 10, private.plan_problem(
        'shoot_end_date', 'before_start',
        format('The shoot ends (%s) before it starts (%s).', p_video.shoot_end_date, p_video.shoot_start_date))
      where p_video.shoot_start_date is not null and p_video.shoot_end_date is not null
        and p_video.shoot_start_date > p_video.shoot_end_date
      union all
      select 11, private.plan_problem(
        'shoot_start_date', 'in_past',
        format('The shoot cannot start in the past (%s is before today, %s).',
          p_video.shoot_start_date, timezone('utc', now())::date))
      where p_at_submit and p_video.shoot_start_date < timezone('utc', now())::date
      union all
      select
        12,
        case bv.verdict
          when 'budget_below_band' then private.plan_problem(
            'line_items', 'budget_below_band',
            format('The allocations total %s %s, below the %s band''s minimum of %s %s.',
              bv.allocation, bv.currency_code, bv.band_name, bv.min_cost, bv.currency_code),
            jsonb_build_object('allocation_total', bv.allocation, 'min_cost', bv.min_cost))
          else private.plan_problem(
            'line_items', 'budget_over_contingency',
            format('The allocations total %s %s, over the %s band''s limit of %s %s (maximum %s plus %s%% contingency).',
              bv.allocation, bv.currency_code, bv.band_name, trunc(bv.hard_limit), bv.currency_code,
              bv.max_cost, bv.pct),
            jsonb_build_object('allocation_total', bv.allocation, 'hard_limit', trunc(bv.hard_limit)))
        end
      from band_verdict as bv
      where bv.verdict in ('budget_below_band', 'budget_over_contingency')
      union all
      select
        100 + c.ord,
        private.plan_problem(
          'cast_assignments',
          case c.value ->> 'kind' when 'booked' then 'cast_double_booked' else 'cast_unavailable' end,
          c.value ->> 'message', jsonb_build_object('conflict', c.value - 'message'))
      from conflicts as cf
      cross join lateral jsonb_array_elements(cf.list) with ordinality as c (value, ord)
    ),
    warnings as (
      select 1 as ord, private.plan_problem(
        'line_items', 'budget_over_band',
        format('The allocations total %s %s, over the %s band''s maximum of %s %s but within the %s%% contingency.',
          bv.allocation, bv.currency_code, bv.band_name, bv.max_cost, bv.currency_code, bv.pct)) as warning
      from band_verdict as bv
      where bv.verdict = 'budget_over_band'
      union all
      select 2, private.plan_problem(
        'cast_assignments', 'cast_cost_over_band',
        format('With cast costs of %s %s (after cost multipliers) the projected total is %s %s, over the %s band''s maximum of %s %s.',
          bv.cast_cost, bv.currency_code, bv.allocation + bv.cast_cost, bv.currency_code,
          bv.band_name, bv.max_cost, bv.currency_code),
        jsonb_build_object('projected_total', bv.allocation + bv.cast_cost, 'max_cost', bv.max_cost))
      from band_verdict as bv
      where p_video.budget_band_id is not null and bv.cast_cost > 0 and bv.allocation + bv.cast_cost > bv.max_cost
    )
    select jsonb_build_object(
      'problems', coalesce((select jsonb_agg(p.problem order by p.ord) from problems as p), '[]'::jsonb),
      'warnings', coalesce((select jsonb_agg(w.warning order by w.ord) from warnings as w), '[]'::jsonb),
      'availability_conflicts', (select cf.list from conflicts as cf),
      'budget', jsonb_build_object(
        'budget_band_id', bu.band_id,
        'band', bu.band_name,
        'currency_code', bu.currency_code,
        'min_cost', bu.min_cost,
        'max_cost', bu.max_cost,
        'contingency_pct', bu.pct,
        'hard_limit', trunc(bu.hard_limit),
        'allocation_total', bu.allocation,
        'cast_cost_total', bu.cast_cost,
        'projected_total', bu.allocation + bu.cast_cost
      )
    )
    from budget as bu
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
