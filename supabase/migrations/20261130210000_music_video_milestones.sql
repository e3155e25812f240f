-- Milestones of a video's timeline (issue "The planning workspace, complete", section 1; spec
-- 1.2 "Timeline section mapping key milestones (shoot date, edit lock, release)"). A milestone is
-- a typed step (edit lock, picture lock, delivery, a promo beat) or a custom one with a label,
-- due on a date, optionally owned by a profile, and done (with who and when, set by the server).
-- The shoot and release dates stay on music_videos (shoot_start_date, shoot_end_date,
-- target_release_date): the timeline RPC shows them as milestones of kind shoot_start, shoot_end
-- and release, derived, so they are never stored twice and cannot disagree. Rows follow their
-- video's access like every other child table, and are live over realtime for the Timeline.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Every kind the timeline shows. shoot_start, shoot_end and release are derived from the
-- video's own dates and never stored (see the table's check); custom milestones carry a label.
create type public.music_video_milestone_kind as enum (
  'shoot_start', 'shoot_end', 'edit_lock', 'picture_lock', 'delivery', 'release', 'promo', 'custom'
);

create table public.music_video_milestones (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  kind public.music_video_milestone_kind not null,
  label text,
  due_date date not null,
  -- Who is responsible (a profile of the host app); a removed profile leaves it unowned.
  owner_id uuid references public.profiles (id) on delete set null,
  done boolean not null default false,
  -- Server-set when done becomes true (private.force_milestone_columns); cleared when undone.
  done_at timestamptz,
  done_by uuid references auth.users (id) on delete set null,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_milestones_kind_stored
  check (kind not in ('shoot_start', 'shoot_end', 'release')),
  constraint music_video_milestones_custom_label check (kind <> 'custom' or label is not null),
  constraint music_video_milestones_label_bounded
  check (label is null or (btrim(label) <> '' and char_length(label) <= 200)),
  constraint music_video_milestones_done_at check (done = (done_at is not null))
);

-- The timeline reads a video's milestones in date order; policies read music_video_id (the
-- index leads with it). One edit lock, picture lock and delivery per video, so the ordering
-- rules (20261130210200) compare one date each.
create index music_video_milestones_video_due_idx on public.music_video_milestones (music_video_id, due_date);
create unique index music_video_milestones_one_typed_idx on public.music_video_milestones (music_video_id, kind)
where kind in ('edit_lock', 'picture_lock', 'delivery');
create index music_video_milestones_owner_id_idx on public.music_video_milestones (owner_id);
create index music_video_milestones_done_by_idx on public.music_video_milestones (done_by);
create index music_video_milestones_created_by_idx on public.music_video_milestones (created_by);

-- Server-set columns of the timeline tables (milestones here, promo events in 20261130210100)
-- for the API roles, as private.force_server_set_columns does for the plan tables: created_by
-- and created_at on insert, never rewritten; ids and the owning video never change; a
-- milestone's done_at/done_by follow its done flag (who ticked it and when, never the client's
-- values); a promo event's cancelled_at/cancelled_by likewise follow its cancellation. An insert
-- reusing the id of a row the caller cannot see answers PT404 (not the key violation). The
-- service role and the database owner are trusted, except that done_at/done_by and
-- cancelled_by still follow the flags when left unset.
create or replace function private.force_timeline_columns()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_api boolean := current_setting('role') in ('authenticated', 'anon');
  v_owner uuid;
begin
  if tg_op = 'INSERT' then
    if v_api then
      execute format('select t.music_video_id from public.%I as t where t.id = $1', tg_table_name)
      into v_owner using new.id;
      if v_owner is not null then
        raise exception using errcode = 'PT404', message = 'Not found',
          hint = 'Leave the id out to have one generated.';
      end if;
      new.created_at := now();
      new.created_by := (select auth.uid());
    end if;
  else
    if new.id is distinct from old.id or new.music_video_id is distinct from old.music_video_id then
      raise exception using
        errcode = '22023',
        message = 'The id and the video of a row cannot change.',
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          case when new.id is distinct from old.id then 'id' else 'music_video_id' end, 'read_only',
          'The id and the video are set when the row is created and cannot change.')))::text;
    end if;
    if v_api then
      new.created_at := old.created_at;
      new.created_by := old.created_by;
    end if;
  end if;
  if tg_table_name = 'music_video_milestones' then
    if not new.done then
      new.done_at := null;
      new.done_by := null;
    elsif tg_op = 'INSERT' or not old.done then
      if v_api or new.done_at is null then
        new.done_at := now();
        new.done_by := (select auth.uid());
      end if;
    elsif v_api then
      new.done_at := old.done_at;
      new.done_by := old.done_by;
    end if;
  else
    if new.cancelled_at is null then
      new.cancelled_by := null;
    elsif tg_op = 'INSERT' or old.cancelled_at is null then
      if v_api or new.cancelled_by is null then
        new.cancelled_at := case when v_api then now() else new.cancelled_at end;
        new.cancelled_by := (select auth.uid());
      end if;
    elsif v_api then
      new.cancelled_at := old.cancelled_at;
      new.cancelled_by := old.cancelled_by;
    end if;
  end if;
  return new;
end
$$;
revoke all on function private.force_timeline_columns() from public;

create trigger force_server_set_columns before insert or update on public.music_video_milestones
for each row execute function private.force_timeline_columns();
create trigger set_updated_at before update on public.music_video_milestones
for each row execute function private.set_updated_at();

-- Past draft, the ordering rules (edit lock after the shoot, release after the edit lock) are
-- plan rules: a milestone write notes its video for the commit-time plan check
-- (20261130150200), exactly like a line item or a platform target.
create trigger note_plan_check_on_insert after insert on public.music_video_milestones
referencing new table as new_rows
for each statement execute function private.note_music_video_plan_children();
create trigger note_plan_check_on_update after update on public.music_video_milestones
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_plan_children();
create trigger note_plan_check_on_delete after delete on public.music_video_milestones
referencing old table as old_rows
for each statement execute function private.note_music_video_plan_children();

alter table public.music_video_milestones enable row level security;
revoke all on table public.music_video_milestones from public, anon;
grant select, insert, update, delete on table public.music_video_milestones to authenticated;
grant all on table public.music_video_milestones to service_role;

create policy "Release owners read their video's milestones" on public.music_video_milestones
for select to authenticated using (music_video_id in (select private.accessible_video_ids()));
create policy "Release owners add milestones to their videos" on public.music_video_milestones
for insert to authenticated with check (music_video_id in (select private.accessible_video_ids()));
create policy "Release owners change their video's milestones" on public.music_video_milestones
for update to authenticated
using (music_video_id in (select private.accessible_video_ids()))
with check (music_video_id in (select private.accessible_video_ids()));
create policy "Release owners remove their video's milestones" on public.music_video_milestones
for delete to authenticated using (music_video_id in (select private.accessible_video_ids()));

-- The Timeline component follows milestones live (another producer ticking one off).
alter publication supabase_realtime add table public.music_video_milestones;
