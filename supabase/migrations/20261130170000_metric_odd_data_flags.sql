-- Odd data is flagged, not silently stored (issue "Analytics a release manager can trust",
-- section 4): every metric sample keeps what the source said, and a flag beside it says when it
-- looks wrong compared with the previous live sample of the same video and platform:
--   views_decreased  views_total went down (a public count only grows; a source recount or a
--                    wrong match),
--   views_frozen     views_total has not moved for N consecutive syncs (the N-1 samples before
--                    it have the same count: a stale cache, a dead tracker),
--   views_jump       views_total is more than F times the previous sample (a wrong match, a
--                    reissued video, a parsing slip such as thousands separators).
-- N and F are admin settings (music_video_settings). Flags are computed when a sample is written
-- (insert, a changed count, a restored row) against the samples stored before it; a sample
-- written earlier is not re-flagged when an older one is back-filled later. Rows stored before
-- this migration have no flags.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Thresholds the flag trigger reads; admins change them in the settings catalog.
insert into public.music_video_settings (key, value, description)
values
(
  'odd_data_frozen_syncs', '3'::jsonb,
  'A views count unchanged for this many consecutive syncs is flagged views_frozen (2 to 100)'
),
(
  'odd_data_jump_factor', '10'::jsonb,
  'A views count more than this many times the previous sample is flagged views_jump (above 1)'
)
on conflict (key) do nothing;

-- A numeric admin setting, or the default when it is missing, not a JSON number, or outside
-- [p_min, p_max]: a typo in the settings table must not break ingestion.
create or replace function private.music_video_setting_number(
  p_key text, p_default numeric, p_min numeric, p_max numeric
)
returns numeric
language sql
stable
set search_path = ''
as $$
  select coalesce((
    select case
      when jsonb_typeof(s.value) = 'number' and (s.value)::numeric between p_min and p_max
        then (s.value)::numeric
    end
    from public.music_video_settings as s
    where s.key = p_key
  ), p_default)
$$;
revoke all on function private.music_video_setting_number(text, numeric, numeric, numeric) from public;
grant execute on function private.music_video_setting_number(text, numeric, numeric, numeric)
to authenticated, service_role;

-- The flags of a sample, shown with it by the history and trends RPCs. Metadata-only column add
-- (constant default), so the big table is not rewritten.
alter table public.music_video_metrics add column flags text[] not null default '{}';

-- Computes new.flags from the previous live samples with a views count of the same video and
-- platform: one probe into music_video_metrics_live_idx reading at most N-1 index entries.
-- security definer so the probe is the same index range scan for the service role and for an
-- admin writing under RLS (enum equality is not leakproof, so under RLS the platform could not be
-- an index condition). A soft-deleted row keeps the flags it had.
create or replace function private.flag_odd_metric_sample()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_frozen integer;
  v_factor numeric;
  v_prev bigint[];
  v_flags text[] := '{}';
  v_cached text;
begin
  if new.deleted_at is not null then
    if tg_op = 'UPDATE' then
      new.flags := old.flags;
    end if;
    return new;
  end if;
  if new.views_total is null then
    new.flags := '{}';
    return new;
  end if;
  -- The thresholds, read once per transaction (a bulk upsert fires this for every row):
  -- mv.odd_data_thresholds caches "N,F"; a change to the settings clears it.
  v_cached := current_setting('mv.odd_data_thresholds', true);
  if v_cached is null or v_cached = '' then
    v_frozen := private.music_video_setting_number('odd_data_frozen_syncs', 3, 2, 100);
    v_factor := private.music_video_setting_number('odd_data_jump_factor', 10, 1.000001, 1000000);
    perform set_config('mv.odd_data_thresholds', v_frozen || ',' || v_factor, true);
  else
    v_frozen := split_part(v_cached, ',', 1)::integer;
    v_factor := split_part(v_cached, ',', 2)::numeric;
  end if;

  select array_agg(p.views_total order by p.collected_at desc) into v_prev
  from (
    select m.views_total, m.collected_at
    from public.music_video_metrics as m
    where m.music_video_id = new.music_video_id
      and m.platform = new.platform
      and m.collected_at < new.collected_at
      and m.deleted_at is null
      and m.views_total is not null
    order by m.collected_at desc
    limit v_frozen - 1
  ) as p;

  if v_prev is not null then
    if new.views_total < v_prev[1] then
      v_flags := v_flags || 'views_decreased'::text;
    end if;
    if cardinality(v_prev) = v_frozen - 1 and new.views_total = all(v_prev) then
      v_flags := v_flags || 'views_frozen'::text;
    end if;
    if v_prev[1] > 0 and new.views_total > v_prev[1] * v_factor then
      v_flags := v_flags || 'views_jump'::text;
    end if;
  end if;
  new.flags := v_flags;
  return new;
end
$$;
revoke all on function private.flag_odd_metric_sample() from public;

-- Fires after music_video_metrics_keep_corrections (BEFORE triggers run in name order), so it
-- judges the values that are actually stored. Updates fire only when the count, the key or the
-- soft delete changed (a re-sync of identical data pays nothing), or when someone wrote the
-- flags themselves (they are recomputed: flags are the database's finding, not an input).
create trigger music_video_metrics_odd_data_flags_on_insert
before insert on public.music_video_metrics
for each row
execute function private.flag_odd_metric_sample();

create trigger music_video_metrics_odd_data_flags_on_update
before update on public.music_video_metrics
for each row
when (
  old.views_total is distinct from new.views_total
  or old.collected_at is distinct from new.collected_at
  or old.platform is distinct from new.platform
  or old.deleted_at is distinct from new.deleted_at
  or old.flags is distinct from new.flags
)
execute function private.flag_odd_metric_sample();

-- Forgets the cached thresholds when an admin changes the settings, so the rest of that
-- transaction uses the new values.
create or replace function private.forget_odd_data_thresholds()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform set_config('mv.odd_data_thresholds', '', true);
  return null;
end
$$;
revoke all on function private.forget_odd_data_thresholds() from public;

create trigger music_video_settings_forget_odd_data_thresholds
after insert or update or delete on public.music_video_settings
for each statement
execute function private.forget_odd_data_thresholds();
