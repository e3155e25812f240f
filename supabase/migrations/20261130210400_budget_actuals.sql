-- Budget actuals (issue "The planning workspace, complete", section 4): each budget line item
-- keeps its allocation (amount) and gains the money actually spent (actual_amount, a whole
-- number of 0 or more in the band's currency, bounded like amounts by the integer type). The
-- variance is actual minus allocation, per line and in total (positive: overspent). Actuals may
-- exceed the allocation: the 4.3 hard stop (private.music_video_plan_check) reads allocations
-- only and is untouched. They appear in get_music_video (new keys only), in the
-- music_video_budget_variance view (new columns at its end) and in the analytics export.
-- Actuals are set on any plan that is not archived (set_music_video_budget_actuals, or a PATCH
-- of the line item: the same rule holds there); an archived plan's figures are frozen (PT409).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- 0 until spend is recorded. A constant default adds the column without rewriting the table,
-- and the check on the new column needs no scan (every row holds the default).
alter table public.music_video_budget_line_items
add column actual_amount integer not null default 0
constraint music_video_budget_line_items_actual_non_negative check (actual_amount >= 0);

-- An archived plan keeps its figures: an API role's change of actuals (or a new line with spend)
-- on an archived video is a conflict (PT409), on every write path. Others are trusted.
create or replace function private.guard_budget_actuals()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('role') not in ('authenticated', 'anon')
     or (tg_op = 'UPDATE' and new.actual_amount = old.actual_amount)
     or (tg_op = 'INSERT' and new.actual_amount = 0) then
    return new;
  end if;
  if exists (
    select 1 from public.music_videos as v where v.id = new.music_video_id and v.status = 'archived'
  ) then
    raise exception using
      errcode = 'PT409',
      message = 'This video is archived; its budget actuals can no longer change.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'actual_amount', 'archived', 'Unarchive the video to record spend.')))::text;
  end if;
  return new;
end
$$;
revoke all on function private.guard_budget_actuals() from public;

create trigger guard_budget_actuals before insert or update of actual_amount
on public.music_video_budget_line_items
for each row execute function private.guard_budget_actuals();

-- The plan document (20261124010300) with the new keys only:
--   line_items[].actual_amount, line_items[].variance (actual_amount - amount);
--   budget_actuals {currency_code, allocation_total, actual_total, variance_total};
--   milestones [every column, by due date] and promo_events [every column, by start,
--     cancelled ones included with cancelled_at] (20261130210000, 20261130210100).
-- Everything else is unchanged.
create or replace function private.music_video_document(p_music_video_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select
      to_jsonb(v)
      || jsonb_build_object(
        'theme', (
          select jsonb_build_object('id', t.id, 'name', t.name)
          from public.music_video_themes as t where t.id = v.video_theme_id
        ),
        'art_style', (
          select jsonb_build_object('id', s.id, 'name', s.name)
          from public.music_video_art_styles as s where s.id = v.art_style_id
        ),
        'budget_band', (
          select jsonb_build_object(
            'id', b.id, 'name', b.name, 'min_cost', b.min_cost, 'max_cost', b.max_cost,
            'currency_code', b.currency_code)
          from public.music_video_budgets as b where b.id = v.budget_band_id
        ),
        'chart_source', (
          select jsonb_build_object('id', cs.id, 'label', cs.label, 'provider', cs.provider)
          from public.music_video_chart_sources as cs where cs.id = v.kpi_chart_target
        ),
        'line_items', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', li.id, 'category', li.category, 'amount', li.amount, 'notes', li.notes,
            'actual_amount', li.actual_amount, 'variance', li.actual_amount - li.amount)
            order by array_position(array['direction', 'cinematography', 'post', 'marketing'], li.category))
          from public.music_video_budget_line_items as li where li.music_video_id = v.id
        ), '[]'::jsonb),
        'cast_assignments', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', ca.id, 'cast_option_id', ca.cast_option_id, 'name', co.name, 'role', co.role,
            'role_override', ca.role_override, 'cost_estimate', ca.cost_estimate,
            'cost_multiplier', co.cost_multiplier,
            'projected_cost', round(coalesce(ca.cost_estimate, 0) * co.cost_multiplier),
            'confirmed', ca.confirmed, 'requires_union', co.requires_union, 'notes', ca.notes)
            order by ca.created_at, co.name)
          from public.music_video_cast_assignments as ca
          inner join public.music_video_cast_options as co on ca.cast_option_id = co.id
          where ca.music_video_id = v.id
        ), '[]'::jsonb),
        'platform_targets', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', pt.id, 'platform', pt.platform, 'auto_sync', pt.auto_sync, 'priority', pt.priority,
            'launch_url', pt.launch_url, 'external_id', pt.external_id)
            order by pt.priority nulls last, pt.platform)
          from public.music_video_platform_targets as pt where pt.music_video_id = v.id
        ), '[]'::jsonb),
        'moodboards', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', mb.id, 'storage_path', mb.storage_path, 'caption', mb.caption, 'created_at', mb.created_at)
            order by mb.created_at)
          from public.music_video_moodboards as mb where mb.music_video_id = v.id
        ), '[]'::jsonb),
        'latest_metrics', coalesce((
          select jsonb_agg(to_jsonb(m) - 'deleted_at' order by m.platform)
          from (
            select distinct on (mm.platform) mm.*
            from public.music_video_metrics as mm
            where mm.music_video_id = v.id and mm.deleted_at is null
            order by mm.platform asc, mm.collected_at desc, mm.synced_at desc
          ) as m
        ), '[]'::jsonb),
        'latest_imports', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', i.id, 'source', i.source, 'platform', i.platform, 'status', i.status,
            'error_message', i.error_message, 'attempts', i.attempts, 'max_attempts', i.max_attempts,
            'run_after', i.run_after, 'started_at', i.started_at, 'completed_at', i.completed_at,
            'created_at', i.created_at)
            order by i.source)
          from (
            select distinct on (ii.source) ii.*
            from public.music_video_metric_imports as ii
            where ii.music_video_id = v.id
            order by ii.source asc, ii.created_at desc
          ) as i
        ), '[]'::jsonb),
        'status_history', coalesce((
          select jsonb_agg(jsonb_build_object(
            'from_status', h.from_status, 'to_status', h.to_status, 'changed_by', h.changed_by,
            'changed_at', h.changed_at)
            order by h.changed_at, h.from_status nulls first)
          from public.music_video_status_history as h where h.music_video_id = v.id
        ), '[]'::jsonb),
        'budget', c.result -> 'budget',
        'budget_actuals', (
          select jsonb_build_object(
            'currency_code', c.result -> 'budget' -> 'currency_code',
            'allocation_total', coalesce(sum(li.amount), 0),
            'actual_total', coalesce(sum(li.actual_amount), 0),
            'variance_total', coalesce(sum(li.actual_amount), 0) - coalesce(sum(li.amount), 0))
          from public.music_video_budget_line_items as li where li.music_video_id = v.id
        ),
        'milestones', coalesce((
          select jsonb_agg(to_jsonb(m) order by m.due_date, m.kind, m.id)
          from public.music_video_milestones as m where m.music_video_id = v.id
        ), '[]'::jsonb),
        'promo_events', coalesce((
          select jsonb_agg(to_jsonb(pe) order by pe.starts_at, pe.id)
          from public.music_video_promo_events as pe where pe.music_video_id = v.id
        ), '[]'::jsonb),
        'warnings', c.result -> 'warnings',
        'availability_conflicts', c.result -> 'availability_conflicts',
        'open_problems', c.result -> 'problems'
      )
    from public.music_videos as v
    -- offset 0 keeps the subquery from being pulled up: without it the planner copies the call
    -- into each of the four `c.result -> ...` below and runs the plan check four times.
    cross join lateral (
      select private.music_video_plan_check(v, v.status = 'draft') as result
      offset 0
    ) as c
    where v.id = p_music_video_id
      and (
        current_setting('role') not in ('authenticated', 'anon')
        or private.can_access_video(p_music_video_id)
      )
  );
end
$$;

-- The variance view (20261124000700) with actuals appended at its end: total_actual (the sum of
-- the line items' actual spend), actual_variance (total_actual - total_allocation, positive:
-- overspent), actual_variance_pct (of the allocation) and line_variances, one object per line
-- item {category: {amount, actual_amount, variance}}. Same columns first, same security_invoker.
create or replace view public.music_video_budget_variance
with (security_invoker = true)
as
select
  v.id as music_video_id,
  v.release_id,
  v.title,
  v.status,
  v.quality_tier,
  b.name as budget_band,
  b.currency_code,
  b.min_cost,
  b.max_cost,
  v.budget_estimate,
  coalesce(li.total_allocation, 0)::bigint as total_allocation,
  coalesce(ca.cast_cost, 0)::bigint as cast_cost,
  coalesce(li.total_allocation, 0)::bigint - coalesce(v.budget_estimate, b.max_cost) as budget_variance,
  case
    when coalesce(v.budget_estimate, b.max_cost) > 0 then round(
      100.0 * (coalesce(li.total_allocation, 0) - coalesce(v.budget_estimate, b.max_cost))
      / coalesce(v.budget_estimate, b.max_cost), 2
    )
  end as budget_variance_pct,
  coalesce(li.total_actual, 0)::bigint as total_actual,
  (coalesce(li.total_actual, 0) - coalesce(li.total_allocation, 0))::bigint as actual_variance,
  case
    when coalesce(li.total_allocation, 0) > 0 then round(
      100.0 * (coalesce(li.total_actual, 0) - li.total_allocation) / li.total_allocation, 2
    )
  end as actual_variance_pct,
  coalesce(li.line_variances, '{}'::jsonb) as line_variances
from public.music_videos as v
left join public.music_video_budgets as b on v.budget_band_id = b.id
left join lateral (
  select
    sum(li.amount) as total_allocation,
    sum(li.actual_amount) as total_actual,
    jsonb_object_agg(li.category, jsonb_build_object(
      'amount', li.amount, 'actual_amount', li.actual_amount, 'variance', li.actual_amount - li.amount
    )) as line_variances
  from public.music_video_budget_line_items as li
  where li.music_video_id = v.id
) as li on true
left join lateral (
  select sum(ca.cost_estimate) as cast_cost
  from public.music_video_cast_assignments as ca
  where ca.music_video_id = v.id
) as ca on true;

-- Records actual spend: actuals is an object {category: whole number >= 0} (direction,
-- cinematography, post, marketing); categories not named keep their actuals. A category
-- without a line item gets one with an allocation of 0 (spend nobody planned is still spend).
-- Any status but archived (PT409). Returns the plan document (get_music_video's shape).
-- 22023 with a problem per bad entry. Writes through the table under RLS (security invoker).
create or replace function public.set_music_video_budget_actuals(music_video_id text default null, actuals jsonb default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_video uuid := private.try_uuid(btrim(set_music_video_budget_actuals.music_video_id));
  v_status public.video_status_enum;
  v_problems jsonb := '[]'::jsonb;
  v_entry record;
begin
  if v_video is null or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only plan videos of your own releases.';
  end if;
  if jsonb_typeof(set_music_video_budget_actuals.actuals) is distinct from 'object' then
    perform private.raise_bad_argument('actuals', 'invalid_type',
      'Send actuals as an object {category: amount}, e.g. {"direction": 12000}.');
  end if;
  for v_entry in select e.key, e.value from jsonb_each(set_music_video_budget_actuals.actuals) as e loop
    if v_entry.key not in ('direction', 'cinematography', 'post', 'marketing') then
      v_problems := v_problems || private.plan_problem('actuals.' || left(v_entry.key, 40), 'unknown_category',
        'The category must be direction, cinematography, post or marketing.');
    elsif jsonb_typeof(v_entry.value) <> 'number' or (v_entry.value #>> '{}')::numeric <> trunc((v_entry.value #>> '{}')::numeric)
          or (v_entry.value #>> '{}')::numeric > 2147483647 then
      v_problems := v_problems || private.plan_problem('actuals.' || v_entry.key, 'invalid_type',
        'The actual amount must be a whole number (up to 2147483647).');
    elsif (v_entry.value #>> '{}')::numeric < 0 then
      v_problems := v_problems || private.plan_problem('actuals.' || v_entry.key, 'negative',
        'The actual amount must be 0 or more.');
    end if;
  end loop;
  if jsonb_array_length(v_problems) > 0 then
    raise exception using
      errcode = '22023',
      message = 'The actuals are not valid: ' || (v_problems -> 0 ->> 'message'),
      detail = jsonb_build_object('problems', v_problems)::text;
  end if;
  select v.status into v_status from public.music_videos as v where v.id = v_video for update;
  if v_status = 'archived' then
    raise exception using
      errcode = 'PT409',
      message = 'This video is archived; its budget actuals can no longer change.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'actual_amount', 'archived', 'Unarchive the video to record spend.')))::text;
  end if;
  insert into public.music_video_budget_line_items as li (music_video_id, category, amount, actual_amount)
  select v_video, e.key, 0, (e.value #>> '{}')::integer
  from jsonb_each(set_music_video_budget_actuals.actuals) as e
  on conflict on constraint music_video_budget_line_items_video_category_key do update
  set actual_amount = excluded.actual_amount
  where li.actual_amount is distinct from excluded.actual_amount;
  return private.music_video_document(v_video);
end
$$;
revoke all on function public.set_music_video_budget_actuals(text, jsonb) from public, anon;
grant execute on function public.set_music_video_budget_actuals(text, jsonb) to authenticated, service_role;
