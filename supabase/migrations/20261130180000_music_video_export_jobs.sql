-- Exports the app can request (issue "Analytics a release manager can trust", section 5): an
-- owner asks for the analytics report of a release as CSV or PDF; a job of the new source
-- 'export' goes on the existing queue (music_video_metric_imports), a worker renders the file
-- into the music-video-exports bucket (20261130180100) and records the object path in the job's
-- metadata, and the app polls the job row (or follows it over realtime) as it does for syncs.
-- An export job belongs to a release, not a video: music_video_id is null and
-- metadata.release_id names the release (with metadata.format).
-- The NOTIFY trigger (20261124020000) already sends any source as its payload, and the summary
-- triggers (20261124015700) skip rows without a video, so neither changes.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The source list grows by 'export': the constraint is replaced by a wider one in the same
-- transaction, so no client ever sees the table without it and no guarantee is lost beyond
-- admitting 'export'. NOT VALID, so adding it takes no scan under the ACCESS EXCLUSIVE lock; it
-- holds for every new and changed row at once, and 20261130180200 validates the old rows in
-- its own transaction (SHARE UPDATE EXCLUSIVE only: reads and writes go on).
alter table public.music_video_metric_imports
-- squawk-ignore ban-drop-constraint
drop constraint music_video_metric_imports_source_known;
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_source_known
check (source in ('youtube', 'charts', 'broadcast', 'export')) not valid;

-- An export job names its release and its format; a video job never carries the export keys.
alter table public.music_video_metric_imports
add constraint music_video_metric_imports_export_shape
check (
  source <> 'export'
  or (
    music_video_id is null
    and private.try_uuid(metadata ->> 'release_id') is not null
    and metadata ->> 'format' in ('csv', 'pdf')
  )
) not valid;

-- At most one live export per release and format: a second request (a double click, two tabs)
-- gets the first job back. The predicate only holds export rows, so the index stays tiny.
-- Plain (not concurrent) build: each migration runs in one transaction. The build reads the
-- queue table once while holding off writes (claims wait at most the scan, bounded by the
-- timeouts above; the table holds job rows, not metrics).
-- squawk-ignore require-concurrent-index-creation
create unique index music_video_metric_imports_one_live_export_idx
on public.music_video_metric_imports ((metadata ->> 'release_id'), (metadata ->> 'format'))
where source = 'export' and status in ('pending', 'processing');

-- Owners read their export jobs: the one select policy of the table is widened by exactly the
-- export rows of the caller's releases (through the one access rule); nothing else opens.
drop policy "Release owners and admins read" on public.music_video_metric_imports;
create policy "Release owners and admins read" on public.music_video_metric_imports
for select to authenticated
using (
  (select private.is_admin())
  or music_video_id in (select private.accessible_video_ids())
  or (
    source = 'export'
    and music_video_id is null
    and private.try_uuid(metadata ->> 'release_id') in (select private.accessible_release_ids())
  )
);

-- The checked write, as security definer: only admins and the service role may insert into the
-- imports table under RLS, yet an owner's request must create the job. It therefore checks the
-- arguments, then access through the one release rule (PT404 for a release that is missing or
-- not yours), first.
create or replace function private.request_music_video_export(p_release_id uuid, p_format text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_format text := lower(btrim(p_format));
  v_id uuid;
  v_status public.import_status_enum;
  v_created boolean;
  v_triggered_by uuid;
begin
  if v_format is null or v_format not in ('csv', 'pdf') then
    raise exception using
      errcode = '22023',
      message = 'Choose the export format: csv or pdf',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'format', case when v_format is null or v_format = '' then 'required' else 'invalid' end,
        'The format must be csv or pdf.')))::text;
  end if;
  if p_release_id is null
     or not private.can_access_release(p_release_id) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the id; you can only export your own releases.';
  end if;

  -- triggered_by references profiles; a caller without a profile row (or the service role)
  -- leaves it null rather than failing the request (as the sync request does).
  select p.id into v_triggered_by from public.profiles as p where p.id = (select auth.uid());

  -- Insert, or find the live job that won the unique index. A job that finishes between the
  -- two statements leaves neither, so try again (bounded).
  for attempt in 1..5 loop
    insert into public.music_video_metric_imports (music_video_id, platform, source, triggered_by, max_attempts, metadata)
    values (
      null, null, 'export', v_triggered_by, 3,
      jsonb_build_object(
        'release_id', p_release_id, 'format', v_format, 'requested_by', (select auth.uid()), 'trigger', 'manual'
      )
    )
    on conflict ((metadata ->> 'release_id'), (metadata ->> 'format'))
    where source = 'export' and status in ('pending', 'processing')
    do nothing
    returning id, status into v_id, v_status;
    if v_id is not null then
      v_created := true;
      exit;
    end if;
    select i.id, i.status into v_id, v_status
    from public.music_video_metric_imports as i
    where i.source = 'export'
      and i.status in ('pending', 'processing')
      and i.metadata ->> 'release_id' = p_release_id::text
      and i.metadata ->> 'format' = v_format
    order by i.created_at
    limit 1;
    if v_id is not null then
      v_created := false;
      exit;
    end if;
  end loop;
  if v_id is null then
    raise exception using errcode = 'PT409', message = 'The export could not be queued; try again';
  end if;

  return jsonb_build_object(
    'id', v_id, 'release_id', p_release_id, 'format', v_format, 'status', v_status, 'created', v_created
  );
end
$$;
revoke all on function private.request_music_video_export(uuid, text) from public;
grant execute on function private.request_music_video_export(uuid, text) to authenticated, service_role;

-- The RPC PostgREST exposes (POST /rest/v1/rpc/request_music_video_export). security invoker;
-- release_id is text so that a malformed id is the same PT404 as a missing one. Returns
-- {id, release_id, format, status, created}; the app polls music_video_metric_imports by id
-- until status is terminal, then signs metadata.output.object_path in the music-video-exports bucket.
create or replace function public.request_music_video_export(release_id text default null, format text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.request_music_video_export(
    private.try_uuid(btrim(request_music_video_export.release_id)), request_music_video_export.format
  )
$$;
revoke all on function public.request_music_video_export(text, text) from public, anon;
grant execute on function public.request_music_video_export(text, text) to authenticated, service_role;
