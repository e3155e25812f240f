-- Webhook jobs wake the workers through the service, not through the insert trigger. A
-- transaction that NOTIFYs takes PostgreSQL's one notification-queue lock at commit and holds it
-- through its commit record's flush, so transactions that notify commit one after the other:
-- with one push per transaction, the intake could not pass one push per fsync (~220 pushes/s
-- measured here, whatever the number of service processes). The service
-- (workers/service/app.py) sends one coalesced notification 'webhook' per short interval in
-- which it accepted pushes instead; the workers' periodic sweep still finds anything missed.
-- Every other source is notified as before (20261124020000).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.notify_music_video_imports()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_source text;
begin
  for v_source in
    select distinct i.source from inserted as i
    where i.status = 'pending' and i.source <> 'webhook'
  loop
    perform pg_notify('music_video_imports', v_source);
  end loop;
  return null;
end
$$;
revoke all on function private.notify_music_video_imports() from public;
