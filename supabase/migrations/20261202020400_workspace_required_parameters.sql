-- The workspace writes take their required parameters without defaults and their enums typed
-- (issue 12, section 1; the audit of the contract leftovers): add_music_video_milestone (kind,
-- due_date), schedule_music_video_promo (platform, kind, starts_at, time_zone) and
-- move_music_video_promo (starts_at) defaulted them to null, so the generated TypeScript types
-- made them optional although every call without them failed; kind and platform were text. Now
-- leaving one out is PostgREST's PGRST202, an unknown label its cast error (22P02) before the
-- function runs, and a null still reaches the function's own problem (required). Bodies,
-- returns (the table rows, 20261201050200) and every other error are unchanged.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The parameter types change: drop, then create (no overload is left behind).
-- squawk-ignore ban-drop-function
drop function public.add_music_video_milestone(text, text, date, text, text);
-- squawk-ignore ban-drop-function
drop function public.schedule_music_video_promo(text, text, text, timestamptz, text, text, text);
-- squawk-ignore ban-drop-function
drop function public.move_music_video_promo(text, timestamptz, text);

-- POST a milestone (20261201050200): kind is the enum; the derived kinds (shoot_start, shoot_end,
-- release) are still refused by private.parse_milestone_kind (derived_kind).
create function public.add_music_video_milestone(
  music_video_id text,
  kind public.music_video_milestone_kind,
  due_date date,
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
  v_kind := private.parse_milestone_kind(add_music_video_milestone.kind::text);
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

-- "Schedule Promo" (20261201050200) with typed platform and kind.
create function public.schedule_music_video_promo(
  music_video_id text,
  platform public.platform_enum,
  kind public.music_video_promo_kind,
  starts_at timestamptz,
  time_zone text,
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
  v_platform text := schedule_music_video_promo.platform::text;
  v_kind text := schedule_music_video_promo.kind::text;
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

-- Move a promo event (20261201050200): starts_at required.
create function public.move_music_video_promo(
  id text,
  starts_at timestamptz,
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

do $$
declare
  f text;
begin
  foreach f in array array[
    'add_music_video_milestone(text, public.music_video_milestone_kind, date, text, text)',
    'schedule_music_video_promo(text, public.platform_enum, public.music_video_promo_kind, timestamptz, text, text, text)',
    'move_music_video_promo(text, timestamptz, text)'
  ] loop
    execute format('revoke all on function public.%s from public, anon', f);
    execute format('grant execute on function public.%s to authenticated, service_role', f);
  end loop;
end
$$;

-- The API reference's text (20261201230000 commented the former signatures).
comment on function public.add_music_video_milestone(text, public.music_video_milestone_kind, date, text, text) is $md$Add a timeline milestone (edit lock, picture lock, delivery, promo or a custom one) to a video.

Endpoint: timeline milestones (spec 1.2 "Timeline section mapping key milestones").

Input shapes: `music_video_id`, `kind` (a `music_video_milestone_kind` label) and `due_date` are required (leaving one out is `PGRST202`); `label` (custom milestones) and `owner_id` (a profile id) are optional.

Returns: the new `music_video_milestones` row (the table's columns, as listed below).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`); or it already has its edit_lock, picture_lock or delivery milestone (`kind` `taken`; one each).
- `22023`: one problem in `detail.problems`: `kind` `required` (null) / `derived_kind` (shoot_start, shoot_end and release are the video's own dates), `owner_id` `invalid` / `unknown_profile`, `due_date` `required` (null), `label` `required` (custom) / `too_long` (> 200).
- `PT422`: when the video is past draft, at commit, the timeline breaks a plan rule (`milestones` `edit_lock_before_shoot_end`, `target_release_date` `release_before_edit_lock`).
- `22P02` / `22007` (PostgREST, before the function runs): an unknown `kind` label, a malformed date.$md$;

comment on function public.schedule_music_video_promo(
  text, public.platform_enum, public.music_video_promo_kind, timestamptz, text, text, text
) is $md$"Schedule Promo": add a promo event (premiere, teaser, TV spot, social push, interview) on a platform at a local time.

Endpoint: Schedule Promo (spec 1.2 action bar).

Input shapes: `music_video_id`, `platform` (a `platform_enum` label), `kind` (a `music_video_promo_kind` label), `starts_at` (a timestamp with its offset) and `time_zone` (an IANA name) are required (leaving one out is `PGRST202`); `notes` and `link` are optional.

Returns: the new `music_video_promo_events` row (the table's columns, as listed below).

Errors:
- `PT404`: the video id is malformed, does not exist or is not the caller's.
- `PT409`: the video is archived (`status` `archived`).
- `22023`: `detail.problems`: `platform` `required`, `kind` `required`, `starts_at` `required`, `time_zone` `required` (a null sent; one at a time, in that order); then together `time_zone` `unknown_time_zone` (an IANA name such as Europe/Paris), `link` `invalid_url` (http(s), <= 2048), `notes` `too_long` (> 2000).
- `PT422`: an event other than a teaser or premiere before the video's release date (`starts_at` `before_release`, with `kind` and `release_date`).
- `22P02` / `22007` (PostgREST, before the function runs): an unknown `platform` or `kind` label, a malformed `starts_at`.$md$;

comment on function public.move_music_video_promo(text, timestamptz, text) is $md$Move a promo event to another time (and optionally another time zone).

Endpoint: Schedule Promo (spec 1.2 action bar).

Input shapes: `id` and `starts_at` are required (leaving one out is `PGRST202`); `time_zone` is optional.

Returns: the changed `music_video_promo_events` row; `time_zone` left null keeps the event's.

Errors:
- `PT404`: the event id is malformed, does not exist or is not on the caller's video.
- `PT409`: the video is archived (`status` `archived`); or the event was cancelled (`id` `cancelled`; schedule a new one).
- `22023`: `detail.problems`: `starts_at` `required` (null), `time_zone` `unknown_time_zone`.
- `PT422`: the move puts an event other than a teaser or premiere before the release date (`starts_at` `before_release`).
- `22007` (PostgREST, before the function runs): a malformed `starts_at`.$md$;
