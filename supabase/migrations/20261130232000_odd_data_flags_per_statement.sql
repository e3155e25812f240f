-- The odd-data flags (20261130170000) judged once per statement on the bulk path. The queue's
-- metric upsert writes hundreds of samples per statement, and the per-row BEFORE INSERT trigger
-- (a PL/pgSQL call and an index probe per row) was about half of that statement's time. A writer
-- that asks for it (workers/metrics.py upsert_samples: set_config('mv.odd_data_flags',
-- 'statement', true) just before its upsert) skips the per-row insert trigger, and an AFTER
-- INSERT statement trigger judges every inserted row in one set-based pass over the transition
-- table, writing only the rows whose flags are not the empty default (odd samples are rare, so
-- nearly always nothing is written).
--
-- The flags are the same: each inserted live row with a views count is compared with the previous
-- live samples with a views count of its video and platform, which at the end of the statement
-- include the statement's own earlier rows (the per-row trigger saw the rows processed before
-- it, the same thing when a series arrives in time order). A row's flags UPDATE goes through the
-- per-row update trigger, which recomputes the same value. Every other writer (one-row inserts,
-- admin writes, RETURNING flags) keeps the per-row trigger. The switch is one-shot: the statement
-- trigger clears it, so a later insert in the same transaction is judged per row again. Updates
-- (a changed count on conflict) keep the per-row update trigger.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function private.flag_odd_metric_samples_of_statement()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_frozen integer;
  v_factor numeric;
  v_cached text;
begin
  if coalesce(current_setting('mv.odd_data_flags', true), '') <> 'statement' then
    return null;  -- the per-row trigger judged these rows
  end if;
  perform set_config('mv.odd_data_flags', '', true);  -- one statement only
  -- The thresholds, with the per-row trigger's transaction cache (cleared by a settings change).
  v_cached := current_setting('mv.odd_data_thresholds', true);
  if v_cached is null or v_cached = '' then
    v_frozen := private.music_video_setting_number('odd_data_frozen_syncs', 3, 2, 100);
    v_factor := private.music_video_setting_number('odd_data_jump_factor', 10, 1.000001, 1000000);
    perform set_config('mv.odd_data_thresholds', v_frozen || ',' || v_factor, true);
  else
    v_frozen := split_part(v_cached, ',', 1)::integer;
    v_factor := split_part(v_cached, ',', 2)::numeric;
  end if;

  with judged as (
    select
      n.id,
      array_remove(array[
        case when n.views_total < p.prev[1] then 'views_decreased' end,
        case when cardinality(p.prev) = v_frozen - 1 and n.views_total = all(p.prev) then 'views_frozen' end,
        case when p.prev[1] > 0 and n.views_total > p.prev[1] * v_factor then 'views_jump' end
      ], null) as flags
    from new_rows as n
    cross join lateral (
      select array_agg(q.views_total order by q.collected_at desc) as prev
      from (
        select m.views_total, m.collected_at
        from public.music_video_metrics as m
        where m.music_video_id = n.music_video_id
          and m.platform = n.platform
          and m.collected_at < n.collected_at
          and m.deleted_at is null
          and m.views_total is not null
        order by m.collected_at desc
        limit v_frozen - 1
      ) as q
    ) as p
    where n.deleted_at is null
  )

  update public.music_video_metrics as m
  set flags = coalesce(j.flags, '{}')
  from judged as j
  where m.id = j.id and m.flags is distinct from coalesce(j.flags, '{}');
  return null;
end
$$;
revoke all on function private.flag_odd_metric_samples_of_statement() from public;

-- The per-row insert trigger, now skipped while a bulk writer asked for the statement pass.
drop trigger music_video_metrics_odd_data_flags_on_insert on public.music_video_metrics;
create trigger music_video_metrics_odd_data_flags_on_insert
before insert on public.music_video_metrics
for each row
when (current_setting('mv.odd_data_flags', true) is distinct from 'statement')
execute function private.flag_odd_metric_sample();

create trigger music_video_metrics_odd_data_flags_of_statement
after insert on public.music_video_metrics
referencing new table as new_rows
for each statement
execute function private.flag_odd_metric_samples_of_statement();
