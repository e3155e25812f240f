-- Bounded webhook deliveries (issue 12 section 4). private.metrics_webhook_deliveries is the
-- replay check's memory: one row per accepted push. A replay older than the Standard Webhooks
-- timestamp window (5 minutes either way) is refused by the signature check before the table is
-- asked, so a row is needed for about 10 minutes; the scheduler (workers/scheduler.py) deletes
-- the rows older than MV_WEBHOOK_DELIVERY_RETENTION_SECONDS (that window plus a margin) in
-- bounded batches. The raw bodies stay in Storage, as every source's raw payloads do (the
-- import job's metadata names them; `music-videos replay` re-parses them).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The purge reads the oldest rows first. The table only ever holds a few hours of pushes
-- once purged, so the plain build is short.
-- squawk-ignore require-concurrent-index-creation
create index metrics_webhook_deliveries_received_at_idx on private.metrics_webhook_deliveries (received_at);

-- Deletes at most p_limit deliveries received before now() - p_older_than, oldest first, rows
-- another transaction holds skipped (a replay being answered right now); answers how many it
-- deleted (fewer than p_limit: nothing more is due).
create function private.purge_metrics_webhook_deliveries(p_older_than interval, p_limit integer)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_deleted integer;
begin
  if p_older_than is null or p_older_than < interval '10 minutes' then
    perform private.raise_bad_argument('p_older_than', 'too_short',
      'deliveries are the replay check for the 5-minute timestamp window either way: keep at least 10 minutes');
  end if;
  if p_limit is null or p_limit < 1 then
    perform private.raise_bad_argument('p_limit', 'out_of_range', 'p_limit must be at least 1');
  end if;
  with due as (
    select d.source, d.webhook_id
    from private.metrics_webhook_deliveries as d
    where d.received_at < now() - p_older_than
    order by d.received_at
    limit p_limit
    for update skip locked
  )

  delete from private.metrics_webhook_deliveries as d
  using due
  where d.source = due.source and d.webhook_id = due.webhook_id;
  get diagnostics v_deleted = row_count;
  return v_deleted;
end;
$$;

-- Only the scheduler (service role, or the database owner it connects as) calls it.
revoke all on function private.purge_metrics_webhook_deliveries(interval, integer) from public, anon, authenticated;
grant execute on function private.purge_metrics_webhook_deliveries(interval, integer) to service_role;
