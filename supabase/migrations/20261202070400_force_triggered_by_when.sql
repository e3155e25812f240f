-- Who triggered an import is set by the server (private.force_import_triggered_by, 20261130210500):
-- on insert, the JWT user's profile, or null without one. It was a PL/pgSQL call for every inserted
-- row, half a million a night from the scheduler's enqueue, where there is no JWT user and no
-- triggered_by to clear: ~4 us a row, ~2 s of a 1M-video nightly enqueue that must stay under 30 s
-- (benchmarks/README.md, "Queue"). Now the insert trigger's WHEN clause skips exactly those rows
-- (no JWT user, nothing supplied: the function would set null over null); every other insert runs
-- the function as before. The update trigger is unchanged, split off under its own name. Both names
-- still sort before limit_live_imports_* (BEFORE triggers fire in name order), so the limits count
-- the forced value.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

drop trigger force_triggered_by on public.music_video_metric_imports;

-- Why: the JWT user (or null) as triggered_by, for inserts that have a user or supplied a value.
create trigger force_triggered_by_on_insert
before insert on public.music_video_metric_imports
for each row
when (new.triggered_by is not null or auth.uid() is not null)
execute function private.force_import_triggered_by();

-- Why: triggered_by stays what the server set when an app user's request changes it.
create trigger force_triggered_by_on_update
before update of triggered_by on public.music_video_metric_imports
for each row
execute function private.force_import_triggered_by();
