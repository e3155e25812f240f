-- Source-wide pauses shared by every worker: when YouTube answers quotaExceeded, no worker
-- may spend another call before the quota resets (midnight Pacific Time), even for jobs
-- inserted after the deferral. The claim statement skips a paused source. Workers only.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
create table private.worker_source_pauses (
  source text primary key,
  paused_until timestamptz not null,
  reason text not null,
  updated_at timestamptz not null default timezone('utc'::text, now())
);

alter table private.worker_source_pauses enable row level security;
revoke all on table private.worker_source_pauses from public, anon, authenticated;
grant select, insert, update, delete on table private.worker_source_pauses to service_role;

-- Admins may see why a source is paused and until when (an operator's first question when
-- syncs stall); only the workers (service role) write.
grant select on table private.worker_source_pauses to authenticated;
create policy "Admins read source pauses" on private.worker_source_pauses
for select to authenticated using ((select private.is_admin()));
