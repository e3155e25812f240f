-- The shot list of a music video (issue "The planning workspace, complete", section 3): one row
-- per planned shot, numbered 1..n per video (the number is the shooting-script order the crew
-- calls out), with scene, description, shot size, angle, movement, lens, location, estimated
-- duration, a status, and the video's own cast assignments appearing in the shot (join table
-- music_video_shot_cast). The RPCs of 20261130220100 are the app's way in; the rules below hold
-- on the table endpoints PostgREST also exposes.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The usual shot sizes, closest first; an enum so that the app's dropdown and the PDF agree.
create type public.shot_size_enum as enum ('ECU', 'CU', 'MCU', 'MS', 'WS', 'EWS');
-- planned -> shot (in the can) or cut (dropped, kept on the list so its number stays put).
create type public.shot_status_enum as enum ('planned', 'shot', 'cut');

-- Bounds: a number from 1 to 1000 that is unique per video caps a video at 1,000 shots without a
-- counting trigger; text lengths keep one row printable on a shot-list page. The unique key is
-- DEFERRABLE (initially immediate) so that renumbering in one UPDATE statement is checked at the
-- end of the statement, not row by row. (id, music_video_id) is unique so that the cast join
-- table can reference a shot together with its video.
create table public.music_video_shots (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  shot_number integer not null,
  scene text,
  description text not null,
  shot_size public.shot_size_enum,
  angle text,
  movement text,
  lens text,
  location text,
  duration_seconds integer,
  status public.shot_status_enum not null default 'planned',
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_shots_number_key unique (music_video_id, shot_number) deferrable initially immediate,
  constraint music_video_shots_id_video_key unique (id, music_video_id),
  constraint music_video_shots_number_range check (shot_number between 1 and 1000),
  constraint music_video_shots_scene_length check (char_length(scene) between 1 and 120),
  constraint music_video_shots_description_length check (char_length(description) between 1 and 2000),
  constraint music_video_shots_angle_length check (char_length(angle) between 1 and 60),
  constraint music_video_shots_movement_length check (char_length(movement) between 1 and 60),
  constraint music_video_shots_lens_length check (char_length(lens) between 1 and 40),
  constraint music_video_shots_location_length check (char_length(location) between 1 and 200),
  constraint music_video_shots_duration_range check (duration_seconds between 1 and 3600)
);

create trigger set_updated_at before update on public.music_video_shots
for each row execute function private.set_updated_at();

-- The cast assignments a shot shows. The composite keys make "an assignment of the shot's own
-- video" a foreign key rather than a trigger: a row names the video once, and both the shot and
-- the assignment must belong to it. Removing an assignment (or a shot) removes its rows here.
-- The assignments' (id, music_video_id) pair needs a unique index to be referenced; the table
-- holds a few rows per video, so the plain build is short.
-- squawk-ignore require-concurrent-index-creation
create unique index music_video_cast_assignments_id_video_idx
on public.music_video_cast_assignments (id, music_video_id);

create table public.music_video_shot_cast (
  shot_id uuid not null,
  cast_assignment_id uuid not null,
  music_video_id uuid not null,
  created_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_shot_cast_pkey primary key (shot_id, cast_assignment_id),
  constraint music_video_shot_cast_shot_fkey foreign key (shot_id, music_video_id)
  references public.music_video_shots (id, music_video_id) on delete cascade,
  constraint music_video_shot_cast_assignment_fkey foreign key (cast_assignment_id, music_video_id)
  references public.music_video_cast_assignments (id, music_video_id) on delete cascade
);
-- For the assignment foreign key (deletes of assignments) and for the policies (music_video_id).
create index music_video_shot_cast_assignment_idx on public.music_video_shot_cast (cast_assignment_id, music_video_id);
create index music_video_shot_cast_video_idx on public.music_video_shot_cast (music_video_id);
-- For the shot foreign key as declared (shot_id, music_video_id): cascades from a shot's delete.
create index music_video_shot_cast_shot_idx on public.music_video_shot_cast (shot_id, music_video_id);

-- Contiguous numbers on every path: a deferred constraint trigger checks, at commit, that each
-- video touched in the transaction numbers its shots 1..n. The RPCs renumber within the
-- transaction, so they always pass; a direct table write that leaves a gap (delete shot 3 of
-- 5, insert number 9) is refused with the same problem shape as the RPCs' errors.
-- Contiguous numbers at commit, checked locally. The numbers of a video were 1..n before the
-- transaction (this check held then), so a gap at commit is next to a number the transaction
-- wrote or vacated: the lowest number above a gap either was written here (its row's event finds
-- the number below it missing) or was there before, and then the row that held the number below
-- it was deleted or moved here (that row's event finds its old number empty with a number above
-- it). So each event checks: for the row's current number (re-read: a later change has its own
-- event), that number - 1 exists; for the old number of a delete or a move, that it is taken or
-- that nothing follows it. A failure reports count and max as before (same code, message, problem).
-- security definer: as the table's owner, past RLS, reading only the numbers of the video the
-- caller has just written (which the caller may see anyway).
create or replace function private.check_music_video_shot_numbers()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_video uuid := case when tg_op = 'DELETE' then old.music_video_id else new.music_video_id end;
  v_number integer;
  v_gap boolean := false;
  v_count integer;
  v_max integer;
begin
  if tg_op <> 'DELETE' then
    select s.shot_number into v_number from public.music_video_shots as s where s.id = new.id;
    v_gap := v_number > 1 and not exists (
      select 1 from public.music_video_shots as s where s.music_video_id = v_video and s.shot_number = v_number - 1
    );
  end if;
  if not v_gap and tg_op <> 'INSERT' then
    v_gap := not exists (
      select 1 from public.music_video_shots as s
      where s.music_video_id = old.music_video_id and s.shot_number = old.shot_number
    ) and exists (
      select 1 from public.music_video_shots as s
      where s.music_video_id = old.music_video_id and s.shot_number = old.shot_number + 1
    );
    v_video := old.music_video_id;
  end if;
  if v_gap then
    select count(*), coalesce(max(s.shot_number), 0) into v_count, v_max
    from public.music_video_shots as s
    where s.music_video_id = v_video;
    raise exception using
      errcode = 'PT422',
      message = format('Shot numbers must run from 1 to %s without gaps (the highest is %s).', v_count, v_max),
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'shot_number', 'not_contiguous',
        format('Shot numbers must run from 1 to %s without gaps (the highest is %s).', v_count, v_max))))::text,
      hint = 'Use reorder_music_video_shots or remove_music_video_shot, which renumber for you.';
  end if;
  return null;
end
$$;
revoke all on function private.check_music_video_shot_numbers() from public;

create constraint trigger check_shot_numbers
after insert or update of shot_number, music_video_id or delete on public.music_video_shots
deferrable initially deferred
for each row execute function private.check_music_video_shot_numbers();

-- A shot stays with its video (its cast rows name the video too); the id is the server's.
create or replace function private.guard_music_video_shot()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.music_video_id is distinct from old.music_video_id or new.id is distinct from old.id then
    raise exception using
      errcode = '22023',
      message = 'A shot cannot move to another video, and its id cannot change.',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        case when new.id is distinct from old.id then 'id' else 'music_video_id' end, 'read_only',
        'A shot cannot move to another video, and its id cannot change.')))::text;
  end if;
  new.created_at := old.created_at;
  return new;
end
$$;
revoke all on function private.guard_music_video_shot() from public;
create trigger guard_music_video_shot before update on public.music_video_shots
for each row execute function private.guard_music_video_shot();

-- The existence oracle of 20261130150100 (an insert reusing a foreign row's id answered 23505)
-- closes for shots too: row_id_hidden learns the table, and the shared before trigger forces
-- created_at and answers PT404 for a hidden id.
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
    'music_video_platform_targets', 'music_video_moodboards', 'music_video_shots'
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
create trigger force_server_set_columns before insert or update on public.music_video_shots
for each row execute function private.force_server_set_columns();

-- Access: the video's owner (through the one access rule), one policy per command; admins and
-- other users nothing, the service role everything. The join rows have no update: a shot's cast
-- changes by deleting and inserting rows.
alter table public.music_video_shots enable row level security;
alter table public.music_video_shot_cast enable row level security;
revoke all on table public.music_video_shots from anon, authenticated;
revoke all on table public.music_video_shot_cast from anon, authenticated;
grant select, insert, update, delete on table public.music_video_shots to authenticated;
grant select, insert, delete on table public.music_video_shot_cast to authenticated;
grant all on table public.music_video_shots to service_role;
grant all on table public.music_video_shot_cast to service_role;

create policy "Video owners read their shots" on public.music_video_shots
for select to authenticated using (music_video_id in (select private.accessible_video_ids()));
create policy "Video owners add shots" on public.music_video_shots
for insert to authenticated with check (music_video_id in (select private.accessible_video_ids()));
create policy "Video owners change their shots" on public.music_video_shots
for update to authenticated
using (music_video_id in (select private.accessible_video_ids()))
with check (music_video_id in (select private.accessible_video_ids()));
create policy "Video owners remove their shots" on public.music_video_shots
for delete to authenticated using (music_video_id in (select private.accessible_video_ids()));

create policy "Video owners read their shots' cast" on public.music_video_shot_cast
for select to authenticated using (music_video_id in (select private.accessible_video_ids()));
create policy "Video owners add cast to their shots" on public.music_video_shot_cast
for insert to authenticated with check (music_video_id in (select private.accessible_video_ids()));
create policy "Video owners remove cast from their shots" on public.music_video_shot_cast
for delete to authenticated using (music_video_id in (select private.accessible_video_ids()));

-- Two producers editing one shot list see each other's changes.
alter publication supabase_realtime add table public.music_video_shots, public.music_video_shot_cast;
