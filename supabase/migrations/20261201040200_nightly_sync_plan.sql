-- The nightly plans before it enqueues (issue 13 §2). A distributor's million scheduled videos
-- need 20,000 videos.list calls a night; a YouTube project has 10,000 units a day. So the nightly
-- first counts the calls it needs (ceil(videos / 50), one unit each) against the units left today
-- (private.youtube_units_left, 20261201040000), and when they do not fit it picks, in this order:
--   1. recent_release:  videos whose target release date is in the last 30 days (every night);
--   2. near_kpi_target: videos at 90% or more of their view target, not yet there (every night);
--   3. round_robin:     the rest, those whose last nightly is oldest (or never) first, so each
--                       comes round within ceil(rest / what is left for them) nights; the plan
--                       says how many nights that is and whether it is within a week.
-- What it skipped is counted per reason on the plan row; admins read the plans (RLS, and the
-- list_music_video_sync_plans RPC), the scheduler logs it. Charts jobs cost no YouTube quota and
-- are enqueued for every scheduled video as before. Everything runs in one call of
-- private.plan_music_video_nightly: a set-based ranking, then private.enqueue_music_video_syncs
-- (the one sync rule) over the planned ids.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One row per nightly run date: the budget it planned against, what it planned and skipped (per
-- reason), the rotation's cycle, and the jobs the latest run of that date created.
create table private.music_video_sync_plans (
  id uuid primary key default gen_random_uuid(),
  run_date date not null unique,
  quota_day date not null,
  planned_at timestamptz not null default now(),
  -- a re-run of the same date (the scheduler's catch-up) keeps the first plan's choice
  runs integer not null default 1,
  last_run_at timestamptz not null default now(),
  daily_budget integer not null,
  units_left integer not null,
  scheduled_videos integer not null,
  calls_needed integer not null,
  planned_videos integer not null,
  calls_planned integer not null,
  planned_by_reason jsonb not null default '{}'::jsonb,
  skipped_videos integer not null,
  skipped_by_reason jsonb not null default '{}'::jsonb,
  round_robin_nights integer,
  weekly_rotation_met boolean not null,
  jobs_created integer not null default 0,
  jobs_reused integer not null default 0,
  jobs_already_enqueued integer not null default 0
);
alter table private.music_video_sync_plans enable row level security;
revoke all on table private.music_video_sync_plans from public, anon, authenticated;
grant select, insert, update, delete on table private.music_video_sync_plans to service_role;
-- Admins read the plans (why a video was not synced last night); the scheduler writes.
grant select on table private.music_video_sync_plans to authenticated;
create policy "Admins read the nightly plans" on private.music_video_sync_plans
for select to authenticated using ((select private.is_admin()));

-- The night each video was last planned into a nightly: the round robin's order.
create table private.music_video_sync_rotation (
  music_video_id uuid primary key references public.music_videos (id) on delete cascade,
  last_nightly_on date not null
);
alter table private.music_video_sync_rotation enable row level security;
revoke all on table private.music_video_sync_rotation from public, anon, authenticated;
grant select, insert, update, delete on table private.music_video_sync_rotation to service_role;
-- Nobody reads it through the API; the policy states that (splinter wants one per RLS table).
create policy "Nobody reads the sync rotation" on private.music_video_sync_rotation
for select to authenticated using (false);

-- Plans and enqueues the nightly of p_run_date against p_daily_budget units and the keys'
-- budgets p_key_budgets ({"name": units}); returns the plan row. Idempotent per run date: a
-- second call (another scheduler, a catch-up) plans the same videos (those this run already
-- planned rank first, the capacity is the first plan's) and enqueues only what is missing.
create or replace function private.plan_music_video_nightly(
  p_run_date date,
  p_daily_budget integer,
  p_key_budgets jsonb,
  p_sources text[] default null
)
returns private.music_video_sync_plans
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_prefix text := 'nightly:' || p_run_date::text;
  v_youtube boolean := p_sources is null or 'youtube' = any(p_sources);
  v_plan private.music_video_sync_plans;
  v_units integer;
  v_capacity bigint;
  v_planned uuid[];
  v_scheduled integer;
  v_by_tier jsonb;
  v_planned_by jsonb;
  v_rest integer;
  v_rest_planned integer;
  v_created integer := 0;
  v_reused integer := 0;
  v_already integer := 0;
begin
  if p_run_date is null then
    perform private.raise_bad_argument('p_run_date', 'required', 'Give the night to plan.');
  end if;
  if p_daily_budget is null or p_daily_budget < 0
    or jsonb_typeof(coalesce(p_key_budgets, '{}'::jsonb)) <> 'object' then
    perform private.raise_bad_argument(
      'p_daily_budget', 'invalid', 'The daily budget is a non-negative number and the keys'' budgets an object.'
    );
  end if;
  -- One planner per night at a time; the second waits and then finds the first one's plan.
  perform pg_advisory_xact_lock(hashtextextended('music_video_nightly:' || p_run_date::text, 0));
  select p.* into v_plan from private.music_video_sync_plans as p where p.run_date = p_run_date;
  if v_plan.id is not null then
    v_capacity := v_plan.planned_videos;
    v_units := v_plan.units_left;
  else
    v_units := private.youtube_units_left(p_daily_budget, coalesce(p_key_budgets, '{}'::jsonb));
    v_capacity := v_units::bigint * 50;
  end if;

  -- Rank every scheduled video with a YouTube id to poll; take the first v_capacity.
  with cand as (
    select
      v.id,
      case
        when v.target_release_date between p_run_date - 30 and p_run_date then 1
        when v.kpi_view_target > 0 and s.views_total >= v.kpi_view_target * 0.9
          and s.views_total < v.kpi_view_target then 2
        else 3
      end as tier,
      r.last_nightly_on
    from public.music_videos as v
    left join private.music_video_metric_summaries as s on s.music_video_id = v.id
    left join private.music_video_sync_rotation as r on r.music_video_id = v.id
    where v_youtube
      and v.sync_strategy = 'scheduled'
      and exists (
        select 1 from public.music_video_platform_targets as t
        where t.music_video_id = v.id and t.platform = 'youtube' and t.external_id is not null and t.auto_sync
      )
  ),
  ranked as (
    select
      c.id, c.tier,
      row_number() over (
        order by coalesce(c.last_nightly_on = p_run_date, false) desc, c.tier, c.last_nightly_on nulls first, c.id
      ) <= v_capacity as planned
    from cand as c
  ),
  tiers as (
    select
      r.tier,
      count(*)::integer as total,
      count(*) filter (where r.planned)::integer as planned
    from ranked as r
    group by r.tier
  )
  select
    (select coalesce(array_agg(r.id order by r.id) filter (where r.planned), '{}') from ranked as r),
    (select coalesce(jsonb_object_agg(t.tier, jsonb_build_array(t.total, t.planned)), '{}') from tiers as t)
  into v_planned, v_by_tier;

  v_scheduled := coalesce((select sum((e.value ->> 0)::integer) from jsonb_each(v_by_tier) as e), 0);
  v_planned_by := jsonb_build_object(
    'recent_release', coalesce((v_by_tier -> '1' ->> 1)::integer, 0),
    'near_kpi_target', coalesce((v_by_tier -> '2' ->> 1)::integer, 0),
    'round_robin', coalesce((v_by_tier -> '3' ->> 1)::integer, 0)
  );
  v_rest := coalesce((v_by_tier -> '3' ->> 0)::integer, 0);
  v_rest_planned := coalesce((v_by_tier -> '3' ->> 1)::integer, 0);

  if cardinality(v_planned) > 0 then
    select
      count(*) filter (where e.outcome = 'created'),
      count(*) filter (where e.outcome = 'reused'),
      count(*) filter (where e.outcome = 'already_enqueued')
    into v_created, v_reused, v_already
    from private.enqueue_music_video_syncs(v_planned, 'nightly', true, v_prefix, array['youtube']) as e;
    insert into private.music_video_sync_rotation as r (music_video_id, last_nightly_on)
    select x.id, p_run_date from unnest(v_planned) as x (id)
    on conflict (music_video_id) do update set last_nightly_on = excluded.last_nightly_on
    where r.last_nightly_on is distinct from excluded.last_nightly_on;
  end if;
  -- The sources that cost no YouTube quota (charts) for every scheduled video, as before.
  select
    v_created + count(*) filter (where e.outcome = 'created'),
    v_reused + count(*) filter (where e.outcome = 'reused'),
    v_already + count(*) filter (where e.outcome = 'already_enqueued')
  into v_created, v_reused, v_already
  from private.enqueue_music_video_syncs(
    array(select v.id from public.music_videos as v where v.sync_strategy = 'scheduled'),
    'nightly', true, v_prefix, coalesce(array_remove(p_sources, 'youtube'), array['charts'])
  ) as e;

  insert into private.music_video_sync_plans as p (
    run_date, quota_day, daily_budget, units_left, scheduled_videos, calls_needed, planned_videos,
    calls_planned, planned_by_reason, skipped_videos, skipped_by_reason, round_robin_nights,
    weekly_rotation_met, jobs_created, jobs_reused, jobs_already_enqueued
  )
  values (
    p_run_date, private.youtube_quota_day(now()), p_daily_budget, v_units, v_scheduled,
    ceil(v_scheduled / 50.0)::integer, cardinality(v_planned), ceil(cardinality(v_planned) / 50.0)::integer,
    v_planned_by, v_scheduled - cardinality(v_planned),
    jsonb_strip_nulls(jsonb_build_object(
      'recent_release_over_budget', nullif(coalesce((v_by_tier -> '1' ->> 0)::integer, 0)
        - coalesce((v_by_tier -> '1' ->> 1)::integer, 0), 0),
      'near_kpi_target_over_budget', nullif(coalesce((v_by_tier -> '2' ->> 0)::integer, 0)
        - coalesce((v_by_tier -> '2' ->> 1)::integer, 0), 0),
      'round_robin_waits_its_turn', nullif(v_rest - v_rest_planned, 0)
    )),
    case when v_rest = 0 then 0 when v_rest_planned > 0 then ceil(v_rest::numeric / v_rest_planned)::integer end,
    v_rest = 0 or (v_rest_planned > 0 and ceil(v_rest::numeric / v_rest_planned) <= 7),
    v_created, v_reused, v_already
  )
  on conflict (run_date) do update set
    runs = p.runs + 1, last_run_at = now(), jobs_created = excluded.jobs_created,
    jobs_reused = excluded.jobs_reused, jobs_already_enqueued = excluded.jobs_already_enqueued
  returning p.* into v_plan;
  return v_plan;
end
$$;
revoke all on function private.plan_music_video_nightly(date, integer, jsonb, text[]) from public;
grant execute on function private.plan_music_video_nightly(date, integer, jsonb, text[]) to service_role;

-- The latest nights' plans (nights: how many), newest first, for admins (the plans table is in
-- the private schema, which PostgREST does not expose). Anyone else: PT403.
create or replace function public.list_music_video_sync_plans(nights integer default 14)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not private.is_admin() then
    raise exception using errcode = 'PT403', message = 'Only admins can read the nightly sync plans';
  end if;
  if list_music_video_sync_plans.nights is null or list_music_video_sync_plans.nights not between 1 and 366 then
    perform private.raise_bad_argument('nights', 'out_of_range', 'Ask for between 1 and 366 plans.');
  end if;
  return coalesce((
    select jsonb_agg(to_jsonb(p.*) order by p.run_date desc)
    from (
      select * from private.music_video_sync_plans as x order by x.run_date desc
      limit list_music_video_sync_plans.nights
    ) as p
  ), '[]'::jsonb);
end
$$;
revoke all on function public.list_music_video_sync_plans(integer) from public, anon;
grant execute on function public.list_music_video_sync_plans(integer) to authenticated, service_role;
