-- The live-import limits (private.limit_live_music_video_imports, 20261130150500) were a PL/pgSQL
-- call on every inserted import row and every change of an import's status: the nightly's half a
-- million inserts and the queue's two status changes per job (claim, finish) each paid a call
-- whose first lines return at once. Now the trigger's WHEN clause asks the function's own first
-- questions (evaluated without a call, after force_triggered_by has set triggered_by: BEFORE
-- triggers fire in name order and a WHEN is evaluated just before its function would run):
--   * only a row that is live (pending or processing) after the write can exceed a limit;
--   * only a user's job (triggered_by) or a broadcast import is counted;
--   * an update that keeps a live row live with the same video, source and user adds nothing.
-- Same limits, same errors.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

drop trigger limit_live_imports on public.music_video_metric_imports;

-- Why: the limits on insert, for the rows they can concern (named after force_triggered_by).
create trigger limit_live_imports_on_insert
before insert on public.music_video_metric_imports
for each row
when (new.status in ('pending', 'processing') and (new.triggered_by is not null or new.source = 'broadcast'))
execute function private.limit_live_music_video_imports();

-- Why: the limits on update, for a row that becomes live or changes what it is counted against.
create trigger limit_live_imports_on_update
before update of status, music_video_id, source, triggered_by on public.music_video_metric_imports
for each row
when (
  new.status in ('pending', 'processing')
  and (new.triggered_by is not null or new.source = 'broadcast')
  and not (
    old.status in ('pending', 'processing')
    and new.music_video_id is not distinct from old.music_video_id
    and new.source = old.source
    and new.triggered_by is not distinct from old.triggered_by
  )
)
execute function private.limit_live_music_video_imports();
