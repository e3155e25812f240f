-- Moodboards checked by content (issue "Hostile input", finding 2).
--
-- The bucket's mime-type and size limits (20261124000800, 20261130150300) trust what the client
-- declares: a `.png` whose bytes are an HTML page, or an upload whose declared size is not its
-- real one, passes them. Now every moodboard row gets a check job: a worker (source
-- 'moodboard_check', workers/sources/moodboard/) reads the object through Storage, checks the
-- PNG/JPEG signature and the real size (at most 10 MB), and on failure deletes the object and
-- marks the row rejected with a reason the owner reads on the row (check_status, check_error).
--
-- The job is enqueued by a trigger on music_video_moodboards (insert, or a new storage_path):
-- the row names the object, and the worker retries while the object is not uploaded yet. A check
-- job carries no music_video_id (metadata.moodboard_id names the row), so it never shows as the
-- video's "last sync" (20261124015700) nor counts toward a source_failing alert.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The verdict, written by the worker only (the trigger below keeps API roles from setting it).
-- Constant defaults: no table rewrite. Existing rows start 'pending' and get a job below.
alter table public.music_video_moodboards
add column check_status text not null default 'pending',
add column check_error text,
add column checked_at timestamptz;
comment on column public.music_video_moodboards.check_status is
'pending until the worker has checked the uploaded file; passed; or rejected (file deleted, see check_error)';
comment on column public.music_video_moodboards.check_error is
'Why the file was rejected, for the owner (e.g. "not a PNG or JPEG image: the file starts with <!DOCTY")';
-- NOT VALID: no scan under the ACCESS EXCLUSIVE lock; 20261130190100 validates it.
alter table public.music_video_moodboards
add constraint music_video_moodboards_check_status_known
check (check_status in ('pending', 'passed', 'rejected') and char_length(check_error) <= 500) not valid;

-- The source list grows by 'moodboard_check' (replaced in one transaction, as 20261130180000
-- did for 'export'; validated by 20261130190100).
alter table public.music_video_metric_imports
-- squawk-ignore ban-drop-constraint
drop constraint music_video_metric_imports_source_known;
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_source_known
check (source in ('youtube', 'charts', 'broadcast', 'export', 'moodboard_check')) not valid;

-- A check job names its moodboard row and no video (see above). Its metadata says
-- moodboard_path, not bucket/path: those keys are reserved for files an import reads
-- (20261130150400), and the worker reads the path from the row anyway.
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_moodboard_check_shape
check (
  source <> 'moodboard_check'
  or (music_video_id is null and private.try_uuid(metadata ->> 'moodboard_id') is not null)
) not valid;

-- At most one *pending* check per moodboard: a second change before the worker starts reuses
-- it. A check already running may have read the old object, so a new one may queue beside it.
-- Plain build: each migration runs in one transaction and the predicate holds no row yet.
-- squawk-ignore require-concurrent-index-creation
create unique index music_video_metric_imports_one_pending_moodboard_check_idx
on public.music_video_metric_imports ((metadata ->> 'moodboard_id'))
where source = 'moodboard_check' and status = 'pending';

-- API roles never write the verdict: an insert starts pending, a new path starts pending again,
-- any other update keeps the worker's verdict. The service role and the owner (the worker,
-- fixtures) are trusted. Security invoker: it only rewrites NEW.
create or replace function private.moodboard_check_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.storage_path is distinct from old.storage_path then
    if current_user in ('authenticated', 'anon') or tg_op = 'UPDATE' then
      new.check_status := 'pending';
      new.check_error := null;
      new.checked_at := null;
    end if;
  elsif current_user in ('authenticated', 'anon') then
    new.check_status := old.check_status;
    new.check_error := old.check_error;
    new.checked_at := old.checked_at;
  end if;
  return new;
end
$$;
revoke all on function private.moodboard_check_columns() from public;

create trigger moodboard_check_columns before insert or update
on public.music_video_moodboards
for each row execute function private.moodboard_check_columns();

-- One place that enqueues a moodboard's check, for the row trigger below and the object trigger
-- of 20261130190400 (a pending check of the same moodboard is reused and pointed at the latest
-- path). security definer: API roles cannot insert into the queue table; the row it writes is
-- fully determined by the moodboard the caller was allowed to write.
create or replace function private.enqueue_moodboard_check_of(p_id uuid, p_video_id uuid, p_path text)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into public.music_video_metric_imports (music_video_id, platform, source, max_attempts, metadata)
  values (
    null, null, 'moodboard_check', 5,
    jsonb_build_object('moodboard_id', p_id, 'video_id', p_video_id, 'moodboard_path', p_path)
  )
  on conflict ((metadata ->> 'moodboard_id'))
  where source = 'moodboard_check' and status = 'pending'
  do update set metadata = excluded.metadata, run_after = now()
$$;
revoke all on function private.enqueue_moodboard_check_of(uuid, uuid, text) from public;

-- The row trigger, now through the shared enqueue.
create or replace function private.enqueue_moodboard_check()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.enqueue_moodboard_check_of(new.id, new.music_video_id, new.storage_path);
  return null;
end
$$;
revoke all on function private.enqueue_moodboard_check() from public;

create trigger enqueue_moodboard_check after insert or update of storage_path
on public.music_video_moodboards
for each row execute function private.enqueue_moodboard_check();

-- Rows that exist already were never checked: one job each (a few rows per video).
insert into public.music_video_metric_imports (source, max_attempts, metadata)
select
  'moodboard_check' as source,
  5 as max_attempts,
  jsonb_build_object(
    'moodboard_id', mb.id, 'video_id', mb.music_video_id,
    'moodboard_path', mb.storage_path
  ) as metadata
from public.music_video_moodboards as mb;
