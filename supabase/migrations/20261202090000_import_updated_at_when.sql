-- The queue's own statements (the claim and the finish, workers/queue/statements.py) set
-- updated_at = now() themselves, on two updates per job. The row trigger that forces the column
-- (private.set_updated_at, a PL/pgSQL call of ~1.6 us a row) now runs only when an update leaves
-- it at another value, so an update that does not set it, or sets it to anything but now(), still
-- ends with now(): nobody can choose it, as before.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

drop trigger set_updated_at on public.music_video_metric_imports;

-- Same trigger, skipped when the statement already wrote now().
create trigger set_updated_at before update on public.music_video_metric_imports
for each row
when (new.updated_at is distinct from now())
execute function private.set_updated_at();
