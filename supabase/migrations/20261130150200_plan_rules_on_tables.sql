-- The plan rules of spec 4.3 hold on the table endpoints too. Past draft (planned ..
-- released) a plain PATCH/POST/DELETE on music_videos, music_video_budget_line_items,
-- music_video_cast_assignments or music_video_platform_targets could break them (a line item of
-- 2,000,000,000, no platform target left, a shoot ending before it starts) while the plan stayed
-- planned. Now every write by an API role notes its video, and at commit one deferred trigger
-- judges each noted video once, on its end state, with the same validation the RPCs use
-- (private.music_video_plan_check), raising the same PT422 {"problems": [...]}. The RPCs write
-- through the same tables, so they pass through the same check: a multi-statement edit (replace
-- the platform targets, then the line items) is judged on where it ends, not halfway.
-- "The shoot may not start in the past" applies, as in the RPCs, when a planned video's shoot
-- start changes (a draft's submit is checked by the status trigger already). The service role
-- and the database owner (workers, migrations, bulk fixes) are trusted and note nothing, so
-- their bulk writes cost one role test per statement.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One row per transaction with a plan check pending; the deferred trigger on it runs the check
-- at commit and removes the row, so the table stays empty (as music_video_metric_summary_flushes).
create table private.music_video_plan_checks (
  txid bigint primary key default txid_current(),
  created_at timestamptz not null default now()
);
alter table private.music_video_plan_checks enable row level security;
revoke all on table private.music_video_plan_checks from anon, authenticated;
grant all on table private.music_video_plan_checks to service_role;
-- Nobody reads it through the API; the policy states that (splinter wants one per RLS table).
create policy "Nobody reads pending plan checks" on private.music_video_plan_checks
for select to authenticated using (false);

-- Notes videos to judge at commit (mv.plan_check: comma-separated ids; mv.plan_check_submit:
-- those whose shoot start changed while planned) and schedules the check once per transaction.
-- Transaction-local settings, so a rolled-back savepoint forgets its own notes.
create or replace function private.note_music_video_plan_check(p_ids text, p_submit_ids text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_ids is null then
    return;
  end if;
  perform set_config('mv.plan_check',
    concat_ws(',', nullif(current_setting('mv.plan_check', true), ''), p_ids), true);
  if p_submit_ids is not null then
    perform set_config('mv.plan_check_submit',
      concat_ws(',', nullif(current_setting('mv.plan_check_submit', true), ''), p_submit_ids), true);
  end if;
  insert into private.music_video_plan_checks (txid) values (txid_current())
  on conflict (txid) do nothing;
end
$$;
revoke all on function private.note_music_video_plan_check(text, text) from public;

-- Statement trigger on music_videos: note the written videos (API roles only).
create or replace function private.note_music_video_plan_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
  v_submit text;
begin
  -- The statement's role, not this definer's: current_setting('role') is what PostgREST set.
  if current_setting('role') not in ('authenticated', 'anon') then
    return null;
  end if;
  if tg_op = 'INSERT' then
    select string_agg(n.id::text, ',') into v_ids from new_rows as n;
  else
    select string_agg(n.id::text, ','),
      string_agg(n.id::text, ',') filter (
        where n.status = 'planned' and n.shoot_start_date is distinct from o.shoot_start_date)
    into v_ids, v_submit
    from new_rows as n
    inner join old_rows as o on n.id = o.id;
  end if;
  perform private.note_music_video_plan_check(v_ids, v_submit);
  return null;
end
$$;
revoke all on function private.note_music_video_plan_rows() from public;

-- Statement trigger on the plan's child tables: note their videos (API roles only).
create or replace function private.note_music_video_plan_children()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
begin
  if current_setting('role') not in ('authenticated', 'anon') then
    return null;
  end if;
  if tg_op = 'INSERT' then
    select string_agg(distinct n.music_video_id::text, ',') into v_ids from new_rows as n;
  elsif tg_op = 'UPDATE' then
    select string_agg(distinct x.id::text, ',') into v_ids
    from (
      select n.music_video_id as id from new_rows as n
      union all
      select o.music_video_id from old_rows as o
    ) as x;
  else
    select string_agg(distinct o.music_video_id::text, ',') into v_ids from old_rows as o;
  end if;
  perform private.note_music_video_plan_check(v_ids, null);
  return null;
end
$$;
revoke all on function private.note_music_video_plan_children() from public;

-- The one judgement of a plan past draft: its problems as the RPCs report them (PT422), or
-- nothing. Shared by the cast and platform RPCs (music_video_enforce_rules) and the commit check.
create or replace function private.music_video_judge_plan(p_music_video_id uuid, p_at_submit boolean)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_video public.music_videos;
begin
  select v.* into v_video from public.music_videos as v where v.id = p_music_video_id;
  if v_video.status in ('planned', 'in_production', 'post_production', 'released') then
    perform private.raise_plan_problems(private.music_video_plan_check(v_video, p_at_submit) -> 'problems');
  end if;
end
$$;
revoke all on function private.music_video_judge_plan(uuid, boolean) from public;
grant execute on function private.music_video_judge_plan(uuid, boolean) to authenticated, service_role;

-- The cast and platform RPCs' check (20261124010600), now the shared judgement.
create or replace function private.music_video_enforce_rules(p_music_video_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform private.music_video_judge_plan(p_music_video_id, false);
end
$$;

-- The deferred check: judge every noted video once (in id order), on the end state; forget.
-- Deleted videos (and drafts, archived videos) have nothing to judge. It runs at commit in the
-- request's role, so the plan check sees what the caller may see, as it does for the RPCs.
create or replace function private.check_music_video_plans()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_submit uuid[];
  v_id uuid;
begin
  select array_agg(distinct x.id::uuid order by x.id::uuid)
  into v_ids
  from unnest(string_to_array(nullif(current_setting('mv.plan_check', true), ''), ',')) as x (id);
  select array_agg(distinct x.id::uuid)
  into v_submit
  from unnest(string_to_array(nullif(current_setting('mv.plan_check_submit', true), ''), ',')) as x (id);
  perform set_config('mv.plan_check', '', true);
  perform set_config('mv.plan_check_submit', '', true);
  delete from private.music_video_plan_checks as c where c.txid = new.txid;
  foreach v_id in array coalesce(v_ids, '{}'::uuid[]) loop
    perform private.music_video_judge_plan(v_id, v_id = any(coalesce(v_submit, '{}'::uuid[])));
  end loop;
  return null;
end
$$;
revoke all on function private.check_music_video_plans() from public;

create trigger note_plan_check_on_insert
after insert on public.music_videos
referencing new table as new_rows
for each statement execute function private.note_music_video_plan_rows();
create trigger note_plan_check_on_update
after update on public.music_videos
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_plan_rows();

do $$
declare
  t text;
begin
  foreach t in array array[
    'music_video_budget_line_items', 'music_video_cast_assignments', 'music_video_platform_targets'
  ] loop
    execute format('create trigger note_plan_check_on_insert after insert on public.%I '
                   'referencing new table as new_rows '
                   'for each statement execute function private.note_music_video_plan_children()', t);
    execute format('create trigger note_plan_check_on_update after update on public.%I '
                   'referencing old table as old_rows new table as new_rows '
                   'for each statement execute function private.note_music_video_plan_children()', t);
    execute format('create trigger note_plan_check_on_delete after delete on public.%I '
                   'referencing old table as old_rows '
                   'for each statement execute function private.note_music_video_plan_children()', t);
  end loop;
end
$$;

create constraint trigger check_plans_at_commit
after insert on private.music_video_plan_checks
deferrable initially deferred
for each row execute function private.check_music_video_plans();
