-- Wakes the workers when import jobs are inserted (ARCHITECTURE.md: the import table is the
-- job queue). One notification per insert statement and source, on channel
-- 'music_video_imports', with the source as payload; workers also poll, so a lost notification
-- only costs the poll interval.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Statement-level trigger function: reads the inserted rows from the transition table, so a
-- bulk insert of 10,000 jobs sends one notification per source, not 10,000.
create or replace function private.notify_music_video_imports()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_source text;
begin
  for v_source in select distinct i.source from inserted as i where i.status = 'pending' loop
    perform pg_notify('music_video_imports', v_source);
  end loop;
  return null;
end
$$;
revoke all on function private.notify_music_video_imports() from public;

create trigger notify_workers
after insert on public.music_video_metric_imports
referencing new table as inserted
for each statement execute function private.notify_music_video_imports();
