-- "Schedule Promo" (spec 1.2 action bar; issue "The planning workspace, complete", section 2):
-- promo events of a video (a premiere, a teaser, a TV spot, a social push, an interview) on a
-- platform at a moment with its IANA time zone, with bounded notes and an http(s) link. They
-- appear on the release timeline beside the milestones. Cancelling keeps the row (who and when,
-- server-set) so the team sees what was dropped; the timeline shows live events only.
-- The rule: before the video's target release date only teasers and premieres may run (a TV
-- spot for a video nobody can watch yet is a mistake), judged on the event's local date, PT422
-- with the plan rules' problems, on every write path (RPC or table endpoint).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create type public.music_video_promo_kind as enum ('premiere', 'teaser', 'tv_spot', 'social_push', 'interview');

create table public.music_video_promo_events (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  platform public.platform_enum not null,
  kind public.music_video_promo_kind not null,
  -- The moment, and the zone it was planned in (shown to the team in that zone's wall time).
  starts_at timestamptz not null,
  time_zone text not null,
  notes text,
  link text,
  -- Server-set by private.force_timeline_columns (20261130210000) when cancelled.
  cancelled_at timestamptz,
  cancelled_by uuid references auth.users (id) on delete set null,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_promo_events_notes_bounded check (char_length(notes) <= 2000),
  constraint music_video_promo_events_link_http check (link is null or private.is_http_url(link)),
  constraint music_video_promo_events_time_zone_bounded check (char_length(time_zone) between 1 and 64)
);

-- The timeline reads a video's events in time order; policies read music_video_id.
create index music_video_promo_events_video_starts_idx on public.music_video_promo_events (music_video_id, starts_at);
create index music_video_promo_events_created_by_idx on public.music_video_promo_events (created_by);
create index music_video_promo_events_cancelled_by_idx on public.music_video_promo_events (cancelled_by);

-- Whether a zone name is one PostgreSQL knows (pg_timezone_names: IANA names and their
-- aliases; not abbreviations or POSIX offsets such as 'UTC+3', whose sign is inverted).
-- Reading pg_timezone_names scans the zone files (~20 ms), so callers ask only on a change.
create or replace function private.is_time_zone_name(p_name text)
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(
    p_name is not null
    and exists (select 1 from pg_catalog.pg_timezone_names as z where z.name = p_name),
    false
  )
$$;
revoke all on function private.is_time_zone_name(text) from public;
grant execute on function private.is_time_zone_name(text) to authenticated, service_role;

-- The problems of one promo event as the plan rules report them ([] when none): its zone, its
-- link and notes (arguments: the caller raises 22023) and the release-date rule (PT422).
-- p_release is the video's target release date (null: nothing to compare with).
create or replace function private.music_video_promo_problems(
  p_kind public.music_video_promo_kind, p_starts_at timestamptz, p_time_zone text, p_release date
)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(x.problem order by x.ord), '[]'::jsonb)
  from (
    select 1 as ord, private.plan_problem('starts_at', 'before_release',
      format('A %s on %s is before the video''s release on %s; only teasers and premieres may run before it.',
        replace(p_kind::text, '_', ' '), (p_starts_at at time zone p_time_zone)::date, p_release),
      jsonb_build_object('kind', p_kind, 'release_date', p_release)) as problem
    where p_release is not null
      and p_kind not in ('teaser', 'premiere')
      and (p_starts_at at time zone p_time_zone)::date < p_release
  ) as x
$$;
revoke all on function private.music_video_promo_problems(public.music_video_promo_kind, timestamptz, text, date)
from public;
grant execute on function private.music_video_promo_problems(public.music_video_promo_kind, timestamptz, text, date)
to authenticated, service_role;

-- The before trigger of the promo events: arguments first (22023 with field problems: an
-- unknown zone, a link that is not http(s), notes over 2,000 characters), then the release-date
-- rule (PT422) on a live event whose moment, kind or zone changed. Every role: a service-role
-- import of a TV spot before release is the same mistake. security definer to read the video's
-- release date whatever the caller may see (the policies have already decided the row).
create or replace function private.check_music_video_promo_event()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problems jsonb := '[]'::jsonb;
  v_release date;
begin
  new.notes := nullif(btrim(new.notes), '');
  new.link := nullif(btrim(new.link), '');
  new.time_zone := btrim(new.time_zone);
  if (tg_op = 'INSERT' or new.time_zone is distinct from old.time_zone)
     and not private.is_time_zone_name(new.time_zone) then
    v_problems := v_problems || private.plan_problem('time_zone', 'unknown_time_zone',
      format('"%s" is not a time zone name; use an IANA name such as Europe/Paris.', left(new.time_zone, 64)));
  end if;
  if new.link is not null and not private.is_http_url(new.link) then
    v_problems := v_problems || private.plan_problem('link', 'invalid_url',
      'The link must be an http(s) URL of at most 2,048 characters.');
  end if;
  if char_length(new.notes) > 2000 then
    v_problems := v_problems || private.plan_problem('notes', 'too_long',
      'Notes are limited to 2,000 characters.');
  end if;
  if jsonb_array_length(v_problems) > 0 then
    raise exception using
      errcode = '22023',
      message = 'The promo event is not valid: ' || (v_problems -> 0 ->> 'message'),
      detail = jsonb_build_object('problems', v_problems)::text;
  end if;
  if new.cancelled_at is null
     and (tg_op = 'INSERT' or old.cancelled_at is not null
          or (new.starts_at, new.kind, new.time_zone) is distinct from (old.starts_at, old.kind, old.time_zone)) then
    select v.target_release_date into v_release from public.music_videos as v where v.id = new.music_video_id;
    perform private.raise_plan_problems(
      private.music_video_promo_problems(new.kind, new.starts_at, new.time_zone, v_release));
  end if;
  return new;
end
$$;
revoke all on function private.check_music_video_promo_event() from public;

-- Named so that it runs after force_server_set_columns (before triggers fire in name order).
create trigger validate_promo_event before insert or update on public.music_video_promo_events
for each row execute function private.check_music_video_promo_event();
create trigger force_server_set_columns before insert or update on public.music_video_promo_events
for each row execute function private.force_timeline_columns();
create trigger set_updated_at before update on public.music_video_promo_events
for each row execute function private.set_updated_at();

-- A video whose release date moves past its TV spots breaks the rule from the other side: the
-- plan check (20261130210200) reports it, so past draft it is judged at commit like the rest.
create trigger note_plan_check_on_insert after insert on public.music_video_promo_events
referencing new table as new_rows
for each statement execute function private.note_music_video_plan_children();
create trigger note_plan_check_on_update after update on public.music_video_promo_events
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_plan_children();

alter table public.music_video_promo_events enable row level security;
revoke all on table public.music_video_promo_events from public, anon;
grant select, insert, update, delete on table public.music_video_promo_events to authenticated;
grant all on table public.music_video_promo_events to service_role;

create policy "Release owners read their video's promo events" on public.music_video_promo_events
for select to authenticated using (music_video_id in (select private.accessible_video_ids()));
create policy "Release owners schedule promo events for their videos" on public.music_video_promo_events
for insert to authenticated with check (music_video_id in (select private.accessible_video_ids()));
create policy "Release owners change their video's promo events" on public.music_video_promo_events
for update to authenticated
using (music_video_id in (select private.accessible_video_ids()))
with check (music_video_id in (select private.accessible_video_ids()));
create policy "Release owners remove their video's promo events" on public.music_video_promo_events
for delete to authenticated using (music_video_id in (select private.accessible_video_ids()));

alter publication supabase_realtime add table public.music_video_promo_events;
