-- The timeline's ordering rules join the plan rules of spec 4.3 (issue "The planning
-- workspace, complete", section 1): the edit lock may not fall before the shoot ends, the
-- release may not come before the edit lock, and (section 2) a live promo event other than a
-- teaser or a premiere may not run before the release date (a release date moved past a TV
-- spot breaks it from the video's side). They are reported by the one plan check,
-- private.music_video_plan_check, in its problems and warnings lists: on a draft being edited
-- they are warnings; at submit and past draft they are problems, so they block the submit and
-- every move (and every write) past planning, through the RPCs and the commit-time table check
-- (20261130150200) alike. Milestone and promo writes note their video for that check
-- (20261130210000, 20261130210100).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The timeline problems of one video, in rule order: edit lock before the shoot's end, release
-- before the edit lock, then one per live promo event before the release (by time). The shoot's
-- end is shoot_end_date, or shoot_start_date for a one-day shoot. Reads the stored edit lock
-- (at most one per video: music_video_milestones_one_typed_idx) and the video's live promo
-- events through their music_video_id indexes. Security invoker: the plan check (security
-- definer, gated by the video's access rule) is its only caller.
create or replace function private.music_video_timeline_problems(p_video public.music_videos)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with edit_lock as (
    select m.due_date
    from public.music_video_milestones as m
    where m.music_video_id = p_video.id and m.kind = 'edit_lock'
    limit 1
  ),
  issues as (
    select 1 as ord, 0::bigint as sub, private.plan_problem('milestones', 'edit_lock_before_shoot_end',
      format('The edit lock (%s) is before the shoot ends (%s).', e.due_date,
        coalesce(p_video.shoot_end_date, p_video.shoot_start_date)),
      jsonb_build_object('edit_lock', e.due_date,
        'shoot_end_date', coalesce(p_video.shoot_end_date, p_video.shoot_start_date))) as problem
    from edit_lock as e
    where e.due_date < coalesce(p_video.shoot_end_date, p_video.shoot_start_date)
    union all
    select 2, 0, private.plan_problem('target_release_date', 'release_before_edit_lock',
      format('The release (%s) is before the edit lock (%s).', p_video.target_release_date, e.due_date),
      jsonb_build_object('edit_lock', e.due_date, 'target_release_date', p_video.target_release_date))
    from edit_lock as e
    where p_video.target_release_date < e.due_date
    union all
    select 3, row_number() over (order by pe.starts_at, pe.id),
      private.plan_problem('promo_events', 'promo_before_release',
        format('The %s on %s (%s) is before the release on %s; only teasers and premieres may run before it.',
          replace(pe.kind::text, '_', ' '), (pe.starts_at at time zone pe.time_zone)::date, pe.platform,
          p_video.target_release_date),
        jsonb_build_object('promo_event_id', pe.id, 'kind', pe.kind, 'release_date', p_video.target_release_date))
    from public.music_video_promo_events as pe
    where pe.music_video_id = p_video.id
      and p_video.target_release_date is not null
      and pe.cancelled_at is null
      and pe.kind not in ('teaser', 'premiere')
      and (pe.starts_at at time zone pe.time_zone)::date < p_video.target_release_date
  )
  select coalesce(jsonb_agg(i.problem order by i.ord, i.sub), '[]'::jsonb) from issues as i
$$;
revoke all on function private.music_video_timeline_problems(public.music_videos) from public;
grant execute on function private.music_video_timeline_problems(public.music_videos) to authenticated, service_role;

-- The plan check of 20261124010100, unchanged but for the timeline problems: for a draft
-- checked as it is (not at submit) they go to warnings, otherwise to problems (after the budget
-- rules, before the availability conflicts).
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
  -- The timeline's ordering rules (20261130210200) warn on a draft being edited and bind at
  -- submit and past draft, in the same lists.
  v_timeline jsonb := case when v_visible then private.music_video_timeline_problems(p_video) else '[]'::jsonb end;
  v_timeline_warns boolean := p_video.status = 'draft' and not p_at_submit;
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
      union all
      select 50 + t.ord, t.value
      from jsonb_array_elements(v_timeline) with ordinality as t (value, ord)
      where not v_timeline_warns
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
      union all
      select 10 + t.ord, t.value
      from jsonb_array_elements(v_timeline) with ordinality as t (value, ord)
      where v_timeline_warns
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
