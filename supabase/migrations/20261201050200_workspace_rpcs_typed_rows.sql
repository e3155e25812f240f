-- The workspace's write RPCs return typed rows and ask the archived-plan rule (issue 12: typed
-- results, so that the generated TypeScript types name the columns; issue "The planning
-- workspace, complete": an archived plan is read-only, 20261201050100). The milestone RPCs return
-- the milestone row (public.music_video_milestones; remove returns the removed row), the promo
-- RPCs the promo event row (public.music_video_promo_events), instead of a jsonb document of the
-- same columns. Parameters, errors and behaviour are otherwise unchanged; every one of them now
-- answers PT409 (status/archived) for a video that is archived, for every caller (the table
-- triggers cover the API roles' direct writes). The shot RPCs' shared opening and
-- set_music_video_budget_actuals ask the same rule.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The return types change (jsonb -> the table's row type): drop, then create.
-- squawk-ignore ban-drop-function
drop function public.add_music_video_milestone(text, text, date, text, text);
-- squawk-ignore ban-drop-function
drop function public.update_music_video_milestone(text, date, text, text, boolean);
-- squawk-ignore ban-drop-function
drop function public.complete_music_video_milestone(text, boolean);
-- squawk-ignore ban-drop-function
drop function public.remove_music_video_milestone(text);
-- squawk-ignore ban-drop-function
drop function public.schedule_music_video_promo(text, text, text, timestamptz, text, text, text);
-- squawk-ignore ban-drop-function
drop function public.move_music_video_promo(text, timestamptz, text);
-- squawk-ignore ban-drop-function
drop function public.cancel_music_video_promo(text);
-- Its only callers were the milestone RPCs, which now return their row.
-- squawk-ignore ban-drop-function
drop function private.music_video_milestone_json(uuid);

-- POST a milestone; returns the milestone. PT404 for a video that is not yours; PT409 when it is
-- archived; 22023 for a bad kind, a missing due date, a custom milestone without a label, an
-- unknown owner; PT409 (kind/taken) for a second edit lock, picture lock or delivery on the
-- video; PT422 when, past draft, it breaks the ordering rules (judged at commit).
create function public.add_music_video_milestone(
  music_video_id text,
  kind text default null,
  due_date date default null,
  label text default null,
  owner_id text default null
)
returns public.music_video_milestones
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
  v_row public.music_video_milestones;
begin
  if v_video is null or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only plan videos of your own releases.';
  end if;
  perform private.assert_music_video_editable(array[v_video]);
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
    insert into public.music_video_milestones as m (music_video_id, kind, label, due_date, owner_id)
    values (v_video, v_kind, v_label, add_music_video_milestone.due_date, v_owner)
    returning m.* into v_row;
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
  return v_row;
end
$$;

-- PATCH a milestone: a new due date, label, owner (clear_owner removes it). Arguments left
-- null keep their value. Returns the milestone. PT404 / PT409 (archived) / 22023 as above.
create function public.update_music_video_milestone(
  id text,
  due_date date default null,
  label text default null,
  owner_id text default null,
  clear_owner boolean default false
)
returns public.music_video_milestones
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(update_music_video_milestone.id));
  v_video uuid := private.visible_milestone_video(update_music_video_milestone.id);
  v_owner uuid;
  v_label text := nullif(btrim(update_music_video_milestone.label), '');
  v_row public.music_video_milestones;
begin
  if v_video is null then
    raise exception using errcode = 'PT404', message = 'Milestone not found';
  end if;
  perform private.assert_music_video_editable(array[v_video]);
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
    where m.id = v_id
    returning m.* into v_row;
  exception
    when foreign_key_violation then
      perform private.raise_bad_argument('owner_id', 'unknown_profile', 'The owner must be the id of a profile.');
  end;
  return v_row;
end
$$;

-- Tick a milestone done (done => false reopens it). Who and when are set by the server.
-- Returns the milestone. PT404 / PT409 (archived) / 22023 (done null).
create function public.complete_music_video_milestone(id text, done boolean default true)
returns public.music_video_milestones
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(complete_music_video_milestone.id));
  v_video uuid := private.visible_milestone_video(complete_music_video_milestone.id);
  v_row public.music_video_milestones;
begin
  if v_video is null then
    raise exception using errcode = 'PT404', message = 'Milestone not found';
  end if;
  perform private.assert_music_video_editable(array[v_video]);
  if complete_music_video_milestone.done is null then
    perform private.raise_bad_argument('done', 'required', 'Say whether the milestone is done (true or false).');
  end if;
  update public.music_video_milestones as m set done = complete_music_video_milestone.done
  where m.id = v_id and m.done is distinct from complete_music_video_milestone.done
  returning m.* into v_row;
  if v_row.id is null then
    select m.* into v_row from public.music_video_milestones as m where m.id = v_id;
  end if;
  return v_row;
end
$$;

-- DELETE a milestone. Returns the removed milestone (as it was). PT404 / PT409 (archived).
create function public.remove_music_video_milestone(id text)
returns public.music_video_milestones
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(remove_music_video_milestone.id));
  v_video uuid := private.visible_milestone_video(remove_music_video_milestone.id);
  v_row public.music_video_milestones;
begin
  if v_video is null then
    raise exception using errcode = 'PT404', message = 'Milestone not found';
  end if;
  perform private.assert_music_video_editable(array[v_video]);
  delete from public.music_video_milestones as m where m.id = v_id
  returning m.* into v_row;
  return v_row;
end
$$;

-- "Schedule Promo": a promo event of a video. platform is a platform_enum label, kind one of
-- premiere, teaser, tv_spot, social_push, interview; starts_at a timestamptz, time_zone an
-- IANA name (pg_timezone_names). Returns the event. PT404 for a video that is not yours; PT409
-- when it is archived; 22023 for bad arguments; PT422 for a non-teaser, non-premiere event
-- before the video's release date.
create function public.schedule_music_video_promo(
  music_video_id text,
  platform text default null,
  kind text default null,
  starts_at timestamptz default null,
  time_zone text default null,
  notes text default null,
  link text default null
)
returns public.music_video_promo_events
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_video uuid := private.try_uuid(btrim(schedule_music_video_promo.music_video_id));
  v_platform text := lower(btrim(schedule_music_video_promo.platform));
  v_kind text := lower(btrim(schedule_music_video_promo.kind));
  v_row public.music_video_promo_events;
begin
  if v_video is null or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only plan videos of your own releases.';
  end if;
  perform private.assert_music_video_editable(array[v_video]);
  if v_platform is null or v_platform not in (select unnest(enum_range(null::public.platform_enum))::text) then
    perform private.raise_bad_argument('platform', case when coalesce(v_platform, '') = '' then 'required' else 'invalid' end,
      'The platform must be one of youtube, mtv, vevo, tiktok, instagram, regional_tv, other.');
  end if;
  if v_kind is null or v_kind not in (select unnest(enum_range(null::public.music_video_promo_kind))::text) then
    perform private.raise_bad_argument('kind', case when coalesce(v_kind, '') = '' then 'required' else 'invalid' end,
      'The kind must be premiere, teaser, tv_spot, social_push or interview.');
  end if;
  if schedule_music_video_promo.starts_at is null then
    perform private.raise_bad_argument('starts_at', 'required', 'Set when the promo event starts.');
  end if;
  if nullif(btrim(schedule_music_video_promo.time_zone), '') is null then
    perform private.raise_bad_argument('time_zone', 'required', 'Set the event''s time zone (an IANA name).');
  end if;
  insert into public.music_video_promo_events as pe (music_video_id, platform, kind, starts_at, time_zone, notes, link)
  values (v_video, v_platform::public.platform_enum, v_kind::public.music_video_promo_kind,
    schedule_music_video_promo.starts_at, schedule_music_video_promo.time_zone,
    schedule_music_video_promo.notes, schedule_music_video_promo.link)
  returning pe.* into v_row;
  return v_row;
end
$$;

-- Move a promo event to another moment (and optionally another zone). Returns the event.
-- PT404; PT409 for a cancelled one or an archived video; 22023; PT422 as when scheduling.
create function public.move_music_video_promo(
  id text,
  starts_at timestamptz default null,
  time_zone text default null
)
returns public.music_video_promo_events
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_row public.music_video_promo_events := private.visible_promo_event(move_music_video_promo.id);
begin
  if v_row.id is null then
    raise exception using errcode = 'PT404', message = 'Promo event not found';
  end if;
  perform private.assert_music_video_editable(array[v_row.music_video_id]);
  if v_row.cancelled_at is not null then
    raise exception using errcode = 'PT409', message = 'This promo event was cancelled; schedule a new one.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'id', 'cancelled', 'This promo event was cancelled; schedule a new one.')))::text;
  end if;
  if move_music_video_promo.starts_at is null then
    perform private.raise_bad_argument('starts_at', 'required', 'Set when the promo event starts.');
  end if;
  update public.music_video_promo_events as pe
  set starts_at = move_music_video_promo.starts_at,
    time_zone = coalesce(nullif(btrim(move_music_video_promo.time_zone), ''), pe.time_zone)
  where pe.id = v_row.id
  returning pe.* into v_row;
  return v_row;
end
$$;

-- Cancel a promo event (kept, with who and when). Returns the event. PT404; PT409 when it was
-- already cancelled or the video is archived.
create function public.cancel_music_video_promo(id text)
returns public.music_video_promo_events
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_row public.music_video_promo_events := private.visible_promo_event(cancel_music_video_promo.id);
begin
  if v_row.id is null then
    raise exception using errcode = 'PT404', message = 'Promo event not found';
  end if;
  perform private.assert_music_video_editable(array[v_row.music_video_id]);
  if v_row.cancelled_at is not null then
    raise exception using errcode = 'PT409', message = 'This promo event is already cancelled.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'id', 'cancelled', 'This promo event is already cancelled.')))::text;
  end if;
  update public.music_video_promo_events as pe set cancelled_at = now()
  where pe.id = v_row.id
  returning pe.* into v_row;
  return v_row;
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
    'remove_music_video_milestone(text)',
    'schedule_music_video_promo(text, text, text, timestamptz, text, text, text)',
    'move_music_video_promo(text, timestamptz, text)',
    'cancel_music_video_promo(text)'
  ] loop
    execute format('revoke all on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated, service_role', f);
  end loop;
end
$$;

-- The shot RPCs' shared opening (20261130220100): for writes, after the row lock, the
-- archived-plan rule (PT409), for every caller. Reads are unchanged.
create or replace function private.music_video_shots_open(p_music_video_id text, p_lock boolean)
returns uuid
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(p_music_video_id));
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only see and change the shot lists of your own releases.';
  end if;
  if p_lock then
    perform 1 from public.music_videos as v where v.id = v_id for no key update;
    perform private.assert_music_video_editable(array[v_id]);
  end if;
  return v_id;
end
$$;

-- set_music_video_budget_actuals (20261130210400) asks the shared rule instead of its own status
-- test: PT409 status/archived like every other write to an archived plan. It still returns the
-- plan document (get_music_video's shape, a document of the plan RPCs, not a workspace row).
create or replace function public.set_music_video_budget_actuals(music_video_id text default null, actuals jsonb default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_video uuid := private.try_uuid(btrim(set_music_video_budget_actuals.music_video_id));
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
  perform 1 from public.music_videos as v where v.id = v_video for update;
  perform private.assert_music_video_editable(array[v_video]);
  insert into public.music_video_budget_line_items as li (music_video_id, category, amount, actual_amount)
  select v_video, e.key, 0, (e.value #>> '{}')::integer
  from jsonb_each(set_music_video_budget_actuals.actuals) as e
  on conflict on constraint music_video_budget_line_items_video_category_key do update
  set actual_amount = excluded.actual_amount
  where li.actual_amount is distinct from excluded.actual_amount;
  return private.music_video_document(v_video);
end
$$;
