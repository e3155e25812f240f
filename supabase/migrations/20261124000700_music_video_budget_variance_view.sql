-- Budget variance for analytics exports (spec 2.4): what a plan allocates against what it
-- estimated (or, without an estimate, its band's ceiling). security_invoker so the caller's
-- RLS applies: a user sees only their own videos' rows.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create view public.music_video_budget_variance
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
  end as budget_variance_pct
from public.music_videos as v
left join public.music_video_budgets as b on v.budget_band_id = b.id
left join lateral (
  select sum(li.amount) as total_allocation
  from public.music_video_budget_line_items as li
  where li.music_video_id = v.id
) as li on true
left join lateral (
  select sum(ca.cost_estimate) as cast_cost
  from public.music_video_cast_assignments as ca
  where ca.music_video_id = v.id
) as ca on true;

revoke all on table public.music_video_budget_variance from anon;
grant select on table public.music_video_budget_variance to authenticated, service_role;
