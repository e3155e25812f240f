-- list_music_video_sync_plans returns typed rows (issue 12, sections 1-2: it returned a jsonb
-- array, which the generated TypeScript types call Json). It now returns setof
-- public.music_video_sync_plan: the columns of the nightly plan table (20261201040200,
-- private.music_video_sync_plans, which PostgREST does not expose) in the same order and with the
-- same names as the former objects, newest night first. The access rule is unchanged: admins
-- only (PT403 for anyone else, the service role included only through is_admin), nights 1..366
-- (22023 nights/out_of_range).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One nightly YouTube sync plan as admins read it (the plan table's columns).
create type public.music_video_sync_plan as (
  id uuid,
  run_date date,
  -- the Pacific quota day the budget belongs to
  quota_day date,
  planned_at timestamptz,
  runs integer,
  last_run_at timestamptz,
  daily_budget integer,
  units_left integer,
  scheduled_videos integer,
  calls_needed integer,
  planned_videos integer,
  calls_planned integer,
  -- {recent_release, near_kpi_target, round_robin}: videos planned per reason
  planned_by_reason jsonb,
  skipped_videos integer,
  -- {recent_release_over_budget?, near_kpi_target_over_budget?, round_robin_waits_its_turn?}
  skipped_by_reason jsonb,
  round_robin_nights integer,
  weekly_rotation_met boolean,
  jobs_created integer,
  jobs_reused integer,
  jobs_already_enqueued integer
);
grant usage on type public.music_video_sync_plan to authenticated, service_role;

-- The return type changes (jsonb -> rows): drop, then create.
-- squawk-ignore ban-drop-function
drop function public.list_music_video_sync_plans(integer);

-- The latest nights' plans (nights: how many; optional, 14), newest first, for admins. Security
-- definer: the plan table's RLS lets admins read it, but the function answers PT403 itself so a
-- non-admin learns why instead of reading an empty list.
create function public.list_music_video_sync_plans(nights integer default 14)
returns setof public.music_video_sync_plan
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
  return query
  select
    p.id, p.run_date, p.quota_day, p.planned_at, p.runs, p.last_run_at, p.daily_budget, p.units_left,
    p.scheduled_videos, p.calls_needed, p.planned_videos, p.calls_planned, p.planned_by_reason,
    p.skipped_videos, p.skipped_by_reason, p.round_robin_nights, p.weekly_rotation_met, p.jobs_created,
    p.jobs_reused, p.jobs_already_enqueued
  from private.music_video_sync_plans as p
  order by p.run_date desc
  limit list_music_video_sync_plans.nights;
end
$$;
revoke all on function public.list_music_video_sync_plans(integer) from public, anon;
grant execute on function public.list_music_video_sync_plans(integer) to authenticated, service_role;

-- The API reference's text (20261201230000 commented the former signature).
comment on function public.list_music_video_sync_plans(integer) is $md$The nightly YouTube sync plans of the latest nights, newest first, for admins (issue 13: the nightly plans its run against the day's quota before it enqueues).

Endpoint: admin view of the nightly (spec 3.4 nightly sync; no spec endpoint).

Input shapes: none (`nights`: how many nights, 1-366, default 14).

Returns: `music_video_sync_plan` rows, one per night, newest `run_date` first: `quota_day` (the Pacific quota day), `daily_budget` and `units_left` (YouTube units), `scheduled_videos`, `calls_needed` (ceil(scheduled / 50)), `planned_videos`, `calls_planned`, `planned_by_reason` (`{recent_release, near_kpi_target, round_robin}`), `skipped_videos`, `skipped_by_reason` (`{recent_release_over_budget?, near_kpi_target_over_budget?, round_robin_waits_its_turn?}`), `round_robin_nights` (nights until every waiting video has had its turn), `weekly_rotation_met`, `jobs_created`, `jobs_reused`, `jobs_already_enqueued`, `runs` (runs of that date; a re-run keeps the first plan's choice), `planned_at`, `last_run_at`.

Errors:
- `PT403`: the caller is not an admin (message only).
- `22023`: `detail.problems` `nights` `out_of_range`.$md$;
