-- Server-set columns and existence oracles on the tables PostgREST exposes.
--
-- Through plain POST/PATCH an API role (authenticated, anon) could write columns the server
-- owns: created_by (anyone's id; an unknown one answered 23503, telling real user ids apart),
-- submitted_at (a plan "submitted" without validation), created_at (back-dated rows), and, on
-- the import queue, triggered_by (an admin could blame someone else). And an insert with another
-- user's row id answered 23505 from the primary key, confirming that the row exists.
--
-- Now a before trigger forces those columns for the API roles: created_by = auth.uid(),
-- created_at = now(), submitted_at only as the status trigger sets it (a valid submit), ids are
-- immutable; triggered_by always comes from the JWT (the caller's profile, or null), whoever
-- inserts, and API roles cannot rewrite it. An insert reusing the id of a row the caller cannot
-- access answers the plain PT404 of a row that is not there instead of the key violation. The
-- service role and the database owner (workers, migrations, fixtures) are trusted as before.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Whether a row with this id exists in one of the plan tables and the caller may not access it.
-- security definer to see past RLS; it answers only a boolean, and only for the listed tables.
create or replace function private.row_id_hidden(p_table text, p_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_video uuid;
begin
  if p_id is null then
    return false;
  end if;
  if p_table = 'music_videos' then
    v_video := p_id;
    if not exists (select 1 from public.music_videos as v where v.id = p_id) then
      return false;
    end if;
  elsif p_table in (
    'music_video_budget_line_items', 'music_video_cast_assignments',
    'music_video_platform_targets', 'music_video_moodboards'
  ) then
    execute format('select t.music_video_id from public.%I as t where t.id = $1', p_table)
    into v_video using p_id;
    if v_video is null then
      return false;
    end if;
  else
    raise exception 'row_id_hidden: unexpected table %', p_table;
  end if;
  return not private.can_access_video(v_video);
end
$$;
revoke all on function private.row_id_hidden(text, uuid) from public;
grant execute on function private.row_id_hidden(text, uuid) to authenticated, service_role;

-- The before trigger of music_videos and its child tables. Binds the API roles only (as the
-- status trigger does): current_user is the role of the statement, so security invoker RPCs are
-- held to it too.
create or replace function private.force_server_set_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if tg_op = 'INSERT' then
    if private.row_id_hidden(tg_table_name, new.id) then
      raise exception using
        errcode = 'PT404',
        message = case when tg_table_name = 'music_videos' then 'Music video not found' else 'Not found' end,
        hint = 'Leave the id out to have one generated.';
    end if;
    new.created_at := now();
    if tg_table_name = 'music_videos' then
      new.created_by := (select auth.uid());
      -- A new video is a draft; submitted_at is set by the status trigger on a valid submit.
      new.submitted_at := null;
    end if;
    return new;
  end if;
  if new.id is distinct from old.id then
    raise exception using
      errcode = '22023',
      message = 'The id of a row cannot change.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'id', 'read_only', 'The id is set by the server and cannot change.')))::text;
  end if;
  new.created_at := old.created_at;
  if tg_table_name = 'music_videos' then
    new.created_by := old.created_by;
    -- guard_status (which fires after this trigger, by name) sets it again on a valid submit.
    new.submitted_at := old.submitted_at;
  end if;
  return new;
end
$$;
revoke all on function private.force_server_set_columns() from public;

do $$
declare
  t text;
begin
  foreach t in array array[
    'music_videos', 'music_video_budget_line_items', 'music_video_cast_assignments',
    'music_video_platform_targets', 'music_video_moodboards'
  ] loop
    execute format('create trigger force_server_set_columns before insert or update on public.%I '
                   'for each row execute function private.force_server_set_columns()', t);
  end loop;
end
$$;

-- The import queue: triggered_by is the caller's profile (from the JWT; null for the service
-- role, the scheduler and callers without a profile), for every insert; API roles (admins
-- included) cannot change it afterwards. security definer to read profiles past their RLS.
create or replace function private.force_import_triggered_by()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid;
begin
  if tg_op = 'INSERT' then
    v_uid := (select auth.uid());
    -- No JWT user (the scheduler's bulk enqueue): no profile lookup per row.
    new.triggered_by := case when v_uid is not null then
      (select p.id from public.profiles as p where p.id = v_uid) end;
  elsif current_setting('role') in ('authenticated', 'anon') then
    new.triggered_by := old.triggered_by;
  end if;
  return new;
end
$$;
revoke all on function private.force_import_triggered_by() from public;

create trigger force_triggered_by before insert or update of triggered_by
on public.music_video_metric_imports
for each row execute function private.force_import_triggered_by();
