-- The timeline's API, part 1 (issue "The planning workspace, complete", section 1): add,
-- update, complete and remove milestones (promo events and the release timeline: 20261130210310). Every write goes through the tables under RLS
-- (security invoker): the policies decide access, the tables' triggers set the server-owned
-- columns and judge the rules, so an RPC and a direct table write behave alike. The RPCs add
-- what PostgREST's table endpoints cannot: PT404 for an id that is malformed, missing or not
-- yours; 22023 with field problems for bad arguments; PT409 for conflicts.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- 22023 with one field problem: the bad-argument error of these RPCs.
create or replace function private.raise_bad_argument(p_field text, p_code text, p_message text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = '22023',
    message = p_message,
    detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(p_field, p_code, p_message)))::text;
end
$$;
revoke all on function private.raise_bad_argument(text, text, text) from public;
grant execute on function private.raise_bad_argument(text, text, text) to authenticated, service_role;

-- A milestone as the RPCs return it (every column).
create or replace function private.music_video_milestone_json(p_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select to_jsonb(m) from public.music_video_milestones as m where m.id = p_id
$$;
revoke all on function private.music_video_milestone_json(uuid) from public;
grant execute on function private.music_video_milestone_json(uuid) to authenticated, service_role;

-- A milestone's kind from text: a stored kind (edit_lock, picture_lock, delivery, promo,
-- custom); the shoot and release kinds are the video's own dates (set them on the video).
create or replace function private.parse_milestone_kind(p_kind text)
returns public.music_video_milestone_kind
language plpgsql
stable
set search_path = ''
as $$
declare
  v_kind text := lower(btrim(p_kind));
begin
  if v_kind in ('shoot_start', 'shoot_end', 'release') then
    perform private.raise_bad_argument('kind', 'derived_kind',
      format('The %s milestone is the video''s own date; change it on the video (shoot_start_date, '
        || 'shoot_end_date, target_release_date).', v_kind));
  end if;
  if v_kind is null or v_kind not in ('edit_lock', 'picture_lock', 'delivery', 'promo', 'custom') then
    perform private.raise_bad_argument('kind', case when v_kind is null or v_kind = '' then 'required' else 'invalid' end,
      'The kind must be edit_lock, picture_lock, delivery, promo or custom.');
  end if;
  return v_kind::public.music_video_milestone_kind;
end
$$;
revoke all on function private.parse_milestone_kind(text) from public;
grant execute on function private.parse_milestone_kind(text) to authenticated, service_role;

-- An optional profile id: null stays null; anything else must be a uuid (the foreign key then
-- decides whether the profile exists).
create or replace function private.parse_owner_id(p_owner_id text)
returns uuid
language plpgsql
immutable
set search_path = ''
as $$
begin
  if nullif(btrim(p_owner_id), '') is null then
    return null;
  end if;
  if private.try_uuid(btrim(p_owner_id)) is null then
    perform private.raise_bad_argument('owner_id', 'invalid', 'The owner must be the id of a profile.');
  end if;
  return private.try_uuid(btrim(p_owner_id));
end
$$;
revoke all on function private.parse_owner_id(text) from public;
grant execute on function private.parse_owner_id(text) to authenticated, service_role;

-- The video of a milestone the caller may see (RLS decides; the service role sees all), or null.
create or replace function private.visible_milestone_video(p_id text)
returns uuid
language sql
stable
set search_path = ''
as $$
  select m.music_video_id from public.music_video_milestones as m where m.id = private.try_uuid(btrim(p_id))
$$;
revoke all on function private.visible_milestone_video(text) from public;
grant execute on function private.visible_milestone_video(text) to authenticated, service_role;

-- POST a milestone. Returns the milestone (every column). PT404 for a video that is not
-- yours; 22023 for a bad kind, a missing due date, a custom milestone without a label, an
-- unknown owner; PT409 for a second edit lock, picture lock or delivery on the video; PT422
-- when, past draft, it breaks the ordering rules (judged at commit).
create or replace function public.add_music_video_milestone(
  music_video_id text default null,
  kind text default null,
  due_date date default null,
  label text default null,
  owner_id text default null
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_video uuid := private.try_uuid(btrim(add_music_video_milestone.music_video_id));
  v_kind public.music_video_milestone_kind;
  v_owner uuid;
  v_label text := nullif(btrim(add_music_video_milestone.label), '');
  v_id uuid;
begin
  if v_video is null or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only plan videos of your own releases.';
  end if;
  v_kind := private.parse_milestone_kind(add_music_video_milestone.kind);
  v_owner := private.parse_owner_id(add_music_video_milestone.owner_id);
  if add_music_video_milestone.due_date is null then
    perform private.raise_bad_argument('due_date', 'required', 'Set the milestone''s due date.');
  end if;
  if v_kind = 'custom' and v_label is null then
    perform private.raise_bad_argument('label', 'required', 'Name the custom milestone (label).');
  end if;
  if char_length(v_label) > 200 then
    perform private.raise_bad_argument('label', 'too_long', 'The label is limited to 200 characters.');
  end if;
  begin
    insert into public.music_video_milestones (music_video_id, kind, label, due_date, owner_id)
    values (v_video, v_kind, v_label, add_music_video_milestone.due_date, v_owner)
    returning id into v_id;
  exception
    when foreign_key_violation then
      perform private.raise_bad_argument('owner_id', 'unknown_profile', 'The owner must be the id of a profile.');
    when unique_violation then
      raise exception using
        errcode = 'PT409',
        message = format('This video already has a %s milestone; move that one instead.', replace(v_kind::text, '_', ' ')),
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem('kind', 'taken',
          format('A video has one %s milestone.', replace(v_kind::text, '_', ' ')))))::text;
  end;
  return private.music_video_milestone_json(v_id);
end
$$;

-- PATCH a milestone: a new due date, label, owner (clear_owner removes it). Arguments left
-- null keep their value. Returns the milestone.
create or replace function public.update_music_video_milestone(
  id text default null,
  due_date date default null,
  label text default null,
  owner_id text default null,
  clear_owner boolean default false
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(update_music_video_milestone.id));
  v_owner uuid;
  v_label text := nullif(btrim(update_music_video_milestone.label), '');
begin
  if private.visible_milestone_video(update_music_video_milestone.id) is null then
    raise exception using errcode = 'PT404', message = 'Milestone not found';
  end if;
  v_owner := private.parse_owner_id(update_music_video_milestone.owner_id);
  if v_owner is not null and coalesce(update_music_video_milestone.clear_owner, false) then
    perform private.raise_bad_argument('owner_id', 'conflicting', 'Give an owner or clear it, not both.');
  end if;
  if char_length(v_label) > 200 then
    perform private.raise_bad_argument('label', 'too_long', 'The label is limited to 200 characters.');
  end if;
  begin
    update public.music_video_milestones as m
    set due_date = coalesce(update_music_video_milestone.due_date, m.due_date),
      label = coalesce(v_label, m.label),
      owner_id = case
        when coalesce(update_music_video_milestone.clear_owner, false) then null
        else coalesce(v_owner, m.owner_id)
      end
    where m.id = v_id;
  exception
    when foreign_key_violation then
      perform private.raise_bad_argument('owner_id', 'unknown_profile', 'The owner must be the id of a profile.');
  end;
  return private.music_video_milestone_json(v_id);
end
$$;

-- Tick a milestone done (done => false reopens it). Who and when are set by the server.
create or replace function public.complete_music_video_milestone(id text default null, done boolean default true)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(complete_music_video_milestone.id));
begin
  if private.visible_milestone_video(complete_music_video_milestone.id) is null then
    raise exception using errcode = 'PT404', message = 'Milestone not found';
  end if;
  if complete_music_video_milestone.done is null then
    perform private.raise_bad_argument('done', 'required', 'Say whether the milestone is done (true or false).');
  end if;
  update public.music_video_milestones as m set done = complete_music_video_milestone.done
  where m.id = v_id and m.done is distinct from complete_music_video_milestone.done;
  return private.music_video_milestone_json(v_id);
end
$$;

-- DELETE a milestone. Returns {id, music_video_id, removed: true}.
create or replace function public.remove_music_video_milestone(id text default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(remove_music_video_milestone.id));
  v_video uuid := private.visible_milestone_video(remove_music_video_milestone.id);
begin
  if v_video is null then
    raise exception using errcode = 'PT404', message = 'Milestone not found';
  end if;
  delete from public.music_video_milestones as m where m.id = v_id;
  return jsonb_build_object('id', v_id, 'music_video_id', v_video, 'removed', true);
end
$$;

do $$
declare
  f text;
begin
  foreach f in array array[
    'add_music_video_milestone(text, text, date, text, text)',
    'update_music_video_milestone(text, date, text, text, boolean)',
    'complete_music_video_milestone(text, boolean)',
    'remove_music_video_milestone(text)'
  ] loop
    execute format('revoke all on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated, service_role', f);
  end loop;
end
$$;
