-- An archived plan is read-only (issue "The planning workspace, complete", section 5: archiving
-- is the end of a plan's life; it leaves the board and keeps its metrics). Until now only budget
-- actuals were frozen: an archived video's milestones, promo events, shots (and their cast),
-- line items, cast assignments, platform targets, moodboard rows and its own fields could still
-- change, through the RPCs and through PostgREST's table endpoints. Now one rule, asked in one
-- place (private.assert_music_video_editable), refuses every such write with PT409 and the usual
-- problem shape {"field": "status", "code": "archived", ...}; the one way out is the existing
-- status move back to the lane the video was archived from (un-archiving), after which it is
-- editable again. The table triggers bind the API roles (authenticated, anon), like the status
-- and plan rules; the service role and the database owner (workers, migrations, fixes) are
-- trusted there, while the workspace RPCs ask the rule for every caller.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The error of a write to an archived plan (the status rules' code for "not in this status",
-- PT409, with the plan rules' problem shape).
create or replace function private.raise_music_video_archived()
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = 'PT409',
    message = 'This video is archived; its plan is read-only.',
    detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
      'status', 'archived', 'An archived plan cannot change; un-archive it first.')))::text,
    hint = 'Move the video back to the lane it was archived from, then edit it.';
end
$$;
revoke all on function private.raise_music_video_archived() from public;
grant execute on function private.raise_music_video_archived() to authenticated, service_role;

-- The one edit rule: PT409 when any of the videos is archived. The rows are locked FOR SHARE (in
-- id order), so an archive that commits meanwhile waits for this transaction instead of slipping
-- in between the check and the write; editors of one video do not wait for each other. Missing
-- ids (a video deleted in this very statement, a cascade) pass. security definer: it reads the
-- status whatever the caller may see; callers have already decided access.
create or replace function private.assert_music_video_editable(p_music_video_ids uuid[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform 1 from public.music_videos as v where v.id = any(p_music_video_ids) order by v.id for share;
  -- A new statement, a new snapshot: it sees the status as of the lock (an archive that
  -- committed before it included).
  if exists (select 1 from public.music_videos as v where v.id = any(p_music_video_ids) and v.status = 'archived') then
    perform private.raise_music_video_archived();
  end if;
end
$$;
revoke all on function private.assert_music_video_editable(uuid[]) from public;
grant execute on function private.assert_music_video_editable(uuid[]) to authenticated, service_role;

-- Statement trigger of the tables under a plan: the videos the statement wrote (old and new
-- rows) go through the rule once per statement, for the API roles.
create or replace function private.guard_archived_plan_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
begin
  if current_setting('role') not in ('authenticated', 'anon') then
    return null;
  end if;
  if tg_op = 'INSERT' then
    select array_agg(distinct n.music_video_id) into v_ids from new_rows as n;
  elsif tg_op = 'UPDATE' then
    select array_agg(distinct x.id) into v_ids
    from (
      select n.music_video_id as id from new_rows as n
      union all
      select o.music_video_id from old_rows as o
    ) as x;
  else
    select array_agg(distinct o.music_video_id) into v_ids from old_rows as o;
  end if;
  if v_ids is not null then
    perform private.assert_music_video_editable(v_ids);
  end if;
  return null;
end
$$;
revoke all on function private.guard_archived_plan_rows() from public;

do $$
declare
  t text;
begin
  foreach t in array array[
    'music_video_milestones', 'music_video_promo_events', 'music_video_shots', 'music_video_shot_cast',
    'music_video_budget_line_items', 'music_video_cast_assignments', 'music_video_platform_targets',
    'music_video_moodboards'
  ] loop
    execute format('create trigger guard_archived_on_insert after insert on public.%I '
                   'referencing new table as new_rows '
                   'for each statement execute function private.guard_archived_plan_rows()', t);
    execute format('create trigger guard_archived_on_update after update on public.%I '
                   'referencing old table as old_rows new table as new_rows '
                   'for each statement execute function private.guard_archived_plan_rows()', t);
    execute format('create trigger guard_archived_on_delete after delete on public.%I '
                   'referencing old table as old_rows '
                   'for each statement execute function private.guard_archived_plan_rows()', t);
  end loop;
end
$$;

-- The video row itself: an API role may change an archived video's status (the status trigger
-- allows only the move back to its lane) and nothing else, not even together with that move.
-- Named to run after force_server_set_columns and before guard_status and set_updated_at (before
-- triggers fire in name order), so it compares what the caller sent.
create or replace function private.guard_archived_music_video()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_setting('role') in ('authenticated', 'anon')
     and old.status = 'archived'
     and (to_jsonb(new) - 'status' - 'updated_at') is distinct from (to_jsonb(old) - 'status' - 'updated_at') then
    perform private.raise_music_video_archived();
  end if;
  return new;
end
$$;
revoke all on function private.guard_archived_music_video() from public;

create trigger guard_archived before update on public.music_videos
for each row execute function private.guard_archived_music_video();

-- Budget actuals were the one frozen part (20261130210400); the rule above covers them with
-- every other write, so their own trigger goes (one home per rule).
drop trigger guard_budget_actuals on public.music_video_budget_line_items;
-- squawk-ignore ban-drop-function
drop function private.guard_budget_actuals();
