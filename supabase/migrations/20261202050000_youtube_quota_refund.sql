-- Units a worker reserved ahead and did not use, given back (issue 8 §3). A worker reserves the
-- units of the batches it claimed ahead in one statement (workers.sources.youtube.quota), so a
-- slot goes from one answer to its next call without a round trip; a batch that then makes no
-- call (its key turned out spent, the worker stopped) returns its unit here. Only today's count is
-- touched: a past day's units no longer matter, since the budget has been reset.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Give back p_units of today's count for p_key_name (never below zero); no-op when there is none.
create function private.refund_youtube_units(p_key_name text, p_units integer)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_key_name is null or btrim(p_key_name) = '' then
    perform private.raise_bad_argument('p_key_name', 'required', 'Name the API key that gets the units back.');
  end if;
  if p_units is null or p_units < 1 then
    perform private.raise_bad_argument('p_units', 'invalid', 'Units to give back must be a positive number.');
  end if;
  update private.youtube_quota_usage as u
  set units_spent = greatest(0, u.units_spent - p_units), updated_at = now()
  where u.quota_day = private.youtube_quota_day(now()) and u.key_name = p_key_name;
end
$$;
revoke all on function private.refund_youtube_units(text, integer) from public;
grant execute on function private.refund_youtube_units(text, integer) to service_role;
