-- The YouTube quota as a shared count (issue 13 §2): the settings name a daily unit budget and
-- one or more API keys, each with its own budget. Every worker process reserves the unit a
-- videos.list call costs here before it calls, so several processes on several machines share
-- one count per key and quota day (the Pacific-time day, as YouTube resets it and as the worker's
-- source pause does: workers.sources.youtube.parser.next_quota_reset). A key that YouTube answered
-- quotaExceeded is marked exhausted for the day, so no process tries it again before the reset.
-- The nightly planner (20261201040200) reads what is left.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One row per (quota day, key name). Key names only: the keys themselves stay in the settings.
create table private.youtube_quota_usage (
  quota_day date not null,
  key_name text not null,
  units_spent integer not null default 0,
  -- set when YouTube answered quotaExceeded for this key today (its real budget ran out first)
  exhausted_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (quota_day, key_name),
  constraint youtube_quota_usage_units_non_negative check (units_spent >= 0),
  constraint youtube_quota_usage_key_name_not_blank check (btrim(key_name) <> '')
);
alter table private.youtube_quota_usage enable row level security;
revoke all on table private.youtube_quota_usage from public, anon, authenticated;
grant select, insert, update, delete on table private.youtube_quota_usage to service_role;
-- Admins may see how much of today's quota each key has spent (why a plan skipped videos); only
-- the workers and the scheduler (service role) write.
grant select on table private.youtube_quota_usage to authenticated;
create policy "Admins read the YouTube quota usage" on private.youtube_quota_usage
for select to authenticated using ((select private.is_admin()));

-- The YouTube quota day a moment belongs to: the date in America/Los_Angeles.
create or replace function private.youtube_quota_day(p_at timestamptz)
returns date
language sql
stable
set search_path = ''
as $$
  select (p_at at time zone 'America/Los_Angeles')::date
$$;
revoke all on function private.youtube_quota_day(timestamptz) from public;
grant execute on function private.youtube_quota_day(timestamptz) to service_role;

-- Reserves p_units for one call on key p_key_name, if the key is not exhausted today and both its
-- own budget and the day's total budget (over every key) still hold them; true when reserved.
-- The day's rows are serialised by one transaction-level advisory lock, so two processes cannot
-- both take the last unit.
create or replace function private.spend_youtube_units(
  p_key_name text,
  p_key_budget integer,
  p_daily_budget integer,
  p_units integer default 1
)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_day date := private.youtube_quota_day(now());
  v_total bigint;
  v_key private.youtube_quota_usage;
begin
  if p_key_name is null or btrim(p_key_name) = '' then
    perform private.raise_bad_argument('p_key_name', 'required', 'Name the API key that spends the units.');
  end if;
  if p_units is null or p_units < 1 or p_key_budget is null or p_key_budget < 0
    or p_daily_budget is null or p_daily_budget < 0 then
    perform private.raise_bad_argument('p_units', 'invalid', 'Units and budgets must be non-negative numbers.');
  end if;
  perform pg_advisory_xact_lock(hashtextextended('youtube_quota:' || v_day::text, 0));
  select coalesce(sum(u.units_spent), 0) into v_total
  from private.youtube_quota_usage as u
  where u.quota_day = v_day;
  select u.* into v_key
  from private.youtube_quota_usage as u
  where u.quota_day = v_day and u.key_name = p_key_name;
  if v_key.exhausted_at is not null
    or coalesce(v_key.units_spent, 0) + p_units > p_key_budget
    or v_total + p_units > p_daily_budget then
    return false;
  end if;
  insert into private.youtube_quota_usage as u (quota_day, key_name, units_spent)
  values (v_day, p_key_name, p_units)
  on conflict (quota_day, key_name)
  do update set units_spent = u.units_spent + excluded.units_spent, updated_at = now();
  return true;
end
$$;
revoke all on function private.spend_youtube_units(text, integer, integer, integer) from public;
grant execute on function private.spend_youtube_units(text, integer, integer, integer) to service_role;

-- YouTube answered quotaExceeded for this key: no process uses it again until the quota day ends.
create or replace function private.exhaust_youtube_key(p_key_name text)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into private.youtube_quota_usage as u (quota_day, key_name, exhausted_at)
  values (private.youtube_quota_day(now()), p_key_name, now())
  on conflict (quota_day, key_name)
  do update set exhausted_at = coalesce(u.exhausted_at, excluded.exhausted_at), updated_at = now()
$$;
revoke all on function private.exhaust_youtube_key(text) from public;
grant execute on function private.exhaust_youtube_key(text) to service_role;

-- Units still spendable today: the day's budget minus what every key spent, and at most what the
-- keys that are not exhausted have left of their own budgets. p_key_budgets is {"name": units}.
create or replace function private.youtube_units_left(p_daily_budget integer, p_key_budgets jsonb)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select greatest(0, least(
    p_daily_budget - coalesce((
      select sum(u.units_spent) from private.youtube_quota_usage as u
      where u.quota_day = private.youtube_quota_day(now())
    ), 0),
    coalesce((
      select sum(case when u.exhausted_at is not null then 0
        else greatest(0, k.value::integer - coalesce(u.units_spent, 0)) end)
      from jsonb_each_text(p_key_budgets) as k (key, value)
      left join private.youtube_quota_usage as u
        on u.quota_day = private.youtube_quota_day(now()) and u.key_name = k.key
    ), 0)
  ))::integer
$$;
revoke all on function private.youtube_units_left(integer, jsonb) from public;
grant execute on function private.youtube_units_left(integer, jsonb) to service_role;
