-- Group commit of the webhook intake (issue 12, speed): each service process gathers the pushes
-- verified while its previous statement was running and hands them to PostgreSQL in ONE
-- statement and one transaction, so many pushes share one round trip and one commit (one WAL
-- flush) instead of one each. Every push still goes through private.accept_metrics_webhook
-- (one home of the delivery row, the reference rules and the enqueue), each in a block of its own
-- (a subtransaction), so a push that is refused (PT404 / PT422) or fails leaves nothing and
-- never fails the others of its batch. Answers one jsonb array, in the order of p_pushes: per
-- push either {outcome, import_ids} (as accept_metrics_webhook) or {sqlstate, message, detail}.
-- The service caps a batch below 64 pushes, PostgreSQL's per-backend cache of subtransaction ids.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function private.accept_metrics_webhooks(p_pushes jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_push record;
  v_out jsonb[] := array_fill(null::jsonb, array[jsonb_array_length(p_pushes)]);
  v_state text;
  v_message text;
  v_detail text;
begin
  -- Ordered by (source, webhook_id): two processes' batches naming the same ids take their
  -- delivery keys in the same order, so a replay racing its first delivery waits, never deadlocks.
  for v_push in
    select p.value, p.n
    from jsonb_array_elements(p_pushes) with ordinality as p (value, n)
    order by p.value ->> 'source', p.value ->> 'webhook_id', p.n
  loop
    begin
      v_out[v_push.n] := private.accept_metrics_webhook(
        v_push.value ->> 'source',
        v_push.value ->> 'webhook_id',
        array(select jsonb_array_elements_text(v_push.value -> 'refs')),
        v_push.value ->> 'path',
        v_push.value -> 'metadata'
      );
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
      v_out[v_push.n] := jsonb_build_object('sqlstate', v_state, 'message', v_message, 'detail', v_detail);
    end;
  end loop;
  return to_jsonb(v_out);
end;
$$;

-- Only the service (service role, or the database owner it connects as) calls it.
revoke all on function private.accept_metrics_webhooks(jsonb) from public, anon, authenticated;
grant execute on function private.accept_metrics_webhooks(jsonb) to service_role;
