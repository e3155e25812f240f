-- Live imports are bounded. One owner queued 1,000 broadcast imports of the same file in 6 s
-- (import_broadcast_metrics inserts a new job per call; only YouTube and chart syncs are unique
-- per video). Now, on every path that makes a job live (pending or processing) — the RPCs, an
-- admin's direct insert, a retry that sets a finished job back to pending — the database holds:
--   * at most 5 live broadcast imports per video (anyone, the service role included);
--   * at most 50 live imports triggered by one user (the JWT's user; triggered_by is forced to
--     it by 20261130150100). The nightly scheduler and the workers run without a JWT user, so
--     their bulk enqueues (thousands of videos) are not counted against anyone.
-- Over a limit answers PT409 naming the limit. Counting is serialised per video (broadcast) and
-- per user with transaction advisory locks, so concurrent requests cannot both take the last
-- slot. Partial indexes keep each count a probe of the live rows only.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The limits, in one place.
create or replace function private.music_video_live_import_limit(p_kind text)
returns integer
language sql
immutable
set search_path = ''
as $$
  select case p_kind when 'broadcast_per_video' then 5 when 'per_user' then 50 end
$$;
revoke all on function private.music_video_live_import_limit(text) from public;
grant execute on function private.music_video_live_import_limit(text) to authenticated, service_role;

-- Live broadcast jobs per video, and live jobs per triggering user: what the trigger counts.
-- Plain builds: each migration runs in one transaction; the queue's live part is small.
-- squawk-ignore require-concurrent-index-creation
create index music_video_metric_imports_live_broadcast_idx
on public.music_video_metric_imports (music_video_id)
where source = 'broadcast' and status in ('pending', 'processing');
-- squawk-ignore require-concurrent-index-creation
create index music_video_metric_imports_live_by_user_idx
on public.music_video_metric_imports (triggered_by)
where triggered_by is not null and status in ('pending', 'processing');

-- The before trigger: counts the live jobs this one would join. security definer to count
-- past RLS (an owner cannot read other users' rows, and the limit counts all of them).
create or replace function private.limit_live_music_video_imports()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_limit integer;
  v_count integer;
begin
  if new.status not in ('pending', 'processing')
     or (tg_op = 'UPDATE' and old.status in ('pending', 'processing')
         and new.music_video_id is not distinct from old.music_video_id
         and new.source = old.source and new.triggered_by is not distinct from old.triggered_by) then
    return new;
  end if;
  -- Nothing to count: the scheduler's and the workers' jobs (no JWT user) of the unique-per-video
  -- sources. This keeps the nightly bulk enqueue at one comparison per row.
  if new.triggered_by is null and new.source <> 'broadcast' then
    return new;
  end if;
  -- A YouTube or chart sync that already has a live job is reused (the insert conflicts on
  -- music_video_metric_imports_one_live_sync_idx and does nothing): nothing new to count.
  if tg_op = 'INSERT' and new.source in ('youtube', 'charts') and exists (
    select 1 from public.music_video_metric_imports as i
    where i.music_video_id = new.music_video_id and i.source = new.source and i.status in ('pending', 'processing')
  ) then
    return new;
  end if;
  if new.source = 'broadcast' and new.music_video_id is not null then
    v_limit := private.music_video_live_import_limit('broadcast_per_video');
    perform pg_advisory_xact_lock(hashtextextended('music_video_live_imports:video:' || new.music_video_id, 0));
    select count(*) into v_count
    from public.music_video_metric_imports as i
    where i.music_video_id = new.music_video_id and i.source = 'broadcast'
      and i.status in ('pending', 'processing') and i.id <> new.id;
    if v_count >= v_limit then
      raise exception using
        errcode = 'PT409',
        message = format('This video already has %s broadcast imports waiting or running, the limit; '
          || 'wait for one to finish.', v_count),
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          'music_video_id', 'too_many_live_imports',
          format('At most %s broadcast imports per video may wait or run at once.', v_limit),
          jsonb_build_object('limit', v_limit, 'live', v_count))))::text,
        hint = 'Follow the queued imports; import the next file when one has finished.';
    end if;
  end if;
  if new.triggered_by is not null then
    v_limit := private.music_video_live_import_limit('per_user');
    perform pg_advisory_xact_lock(hashtextextended('music_video_live_imports:user:' || new.triggered_by, 0));
    select count(*) into v_count
    from public.music_video_metric_imports as i
    where i.triggered_by = new.triggered_by and i.status in ('pending', 'processing') and i.id <> new.id;
    if v_count >= v_limit then
      raise exception using
        errcode = 'PT409',
        message = format('You already have %s imports waiting or running, the limit; '
          || 'wait for some to finish.', v_count),
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          'triggered_by', 'too_many_live_imports',
          format('At most %s imports per user may wait or run at once.', v_limit),
          jsonb_build_object('limit', v_limit, 'live', v_count))))::text,
        hint = 'Follow the queued imports; request more when some have finished.';
    end if;
  end if;
  return new;
end
$$;
revoke all on function private.limit_live_music_video_imports() from public;

-- Named after force_triggered_by so it counts the forced triggered_by (before triggers fire
-- in name order).
create trigger limit_live_imports
before insert or update of status, music_video_id, source, triggered_by on public.music_video_metric_imports
for each row execute function private.limit_live_music_video_imports();
