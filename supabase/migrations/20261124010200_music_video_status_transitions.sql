-- The board's allowed status moves (spec 1.2 "Kanban lanes", acceptance criterion 4), enforced
-- on the table so a direct PATCH through PostgREST cannot jump lanes either:
--   * one lane forward or back along draft -> planned -> in_production -> post_production -> released;
--   * any status -> archived (the card's archive action);
--   * archived -> the lane it was archived from (read from the status history; released when
--     the history does not say), i.e. "unarchive" restores the card where it was;
--   * draft -> planned is the submit: the full plan validation runs (PT422 on failure) and
--     submitted_at is set.
-- A video created through the API starts as a draft. The rule binds the API roles
-- (authenticated, anon); the service role and the database owner (migrations, workers, admin
-- fixes) are trusted.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The lane a video was archived from, i.e. where unarchiving puts it back.
create or replace function private.music_video_restore_status(p_music_video_id uuid)
returns public.video_status_enum
language sql
stable
set search_path = ''
as $$
  select coalesce((
    select h.from_status
    from public.music_video_status_history as h
    where
      h.music_video_id = p_music_video_id
      and h.to_status = 'archived'
      and h.from_status is not null
      and h.from_status <> 'archived'
    order by h.changed_at desc
    limit 1
  ), 'released'::public.video_status_enum)
$$;

-- The statuses a video in p_from may move to (p_music_video_id for the unarchive lane).
create or replace function private.music_video_next_statuses(
  p_from public.video_status_enum, p_music_video_id uuid
)
returns public.video_status_enum[]
language sql
stable
set search_path = ''
as $$
  select case p_from
    when 'draft' then array['planned', 'archived']::public.video_status_enum[]
    when 'planned' then array['draft', 'in_production', 'archived']::public.video_status_enum[]
    when 'in_production' then array['planned', 'post_production', 'archived']::public.video_status_enum[]
    when 'post_production' then array['in_production', 'released', 'archived']::public.video_status_enum[]
    when 'released' then array['post_production', 'archived']::public.video_status_enum[]
    when 'archived' then array[private.music_video_restore_status(p_music_video_id)]
  end
$$;

create or replace function private.music_video_guard_status()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_allowed public.video_status_enum[];
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if tg_op = 'INSERT' then
    if new.status <> 'draft' then
      perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
        'status', 'invalid_transition',
        format('A new video starts as a draft, not %s; submit it to plan it.', new.status))));
    end if;
    return new;
  end if;
  if new.status = old.status then
    return new;
  end if;
  v_allowed := private.music_video_next_statuses(old.status, old.id);
  if not new.status = any(v_allowed) then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'status', 'invalid_transition',
      format('A video cannot move from %s to %s; from %s it can move to %s.',
        old.status, new.status, old.status, array_to_string(v_allowed, ', ')),
      jsonb_build_object('from', old.status, 'to', new.status, 'allowed', to_jsonb(v_allowed)))));
  end if;
  if old.status = 'draft' and new.status = 'planned' then
    perform private.raise_plan_problems(private.music_video_plan_check(new, true) -> 'problems');
    new.submitted_at := now();
  end if;
  return new;
end
$$;

create trigger guard_status before insert or update of status on public.music_videos
for each row execute function private.music_video_guard_status();

revoke all on function private.music_video_restore_status(uuid) from public;
revoke all on function private.music_video_next_statuses(public.video_status_enum, uuid) from public;
revoke all on function private.music_video_guard_status() from public;
grant execute on function private.music_video_restore_status(uuid) to authenticated, service_role;
grant execute on function private.music_video_next_statuses(public.video_status_enum, uuid)
to authenticated, service_role;
