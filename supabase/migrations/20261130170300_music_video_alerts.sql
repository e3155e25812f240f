-- Alerts a release manager acts on (issue "Analytics a release manager can trust", section 4,
-- what trackers like Chartmetric notify): the KPI view target reached, a chart entry, a new peak
-- (best position so far on that chart), a re-entry (back on a chart after weeks off) and a source
-- failing several syncs in a row. Each alert is one row, raised by the database itself (triggers
-- on the metrics, the card summaries and the import jobs), deduplicated by a key that names the
-- event, so a re-sync, a replay or a second worker never raises it twice. Owners read their
-- videos' alerts (table endpoint and realtime) and mark them read through one RPC; admins read
-- all of them; nobody else writes.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Thresholds of the alerts, beside the odd-data ones (20261130170000).
insert into public.music_video_settings (key, value, description)
values
(
  'alert_failing_syncs', '3'::jsonb,
  'Alert when a source''s sync of a video has failed this many times in a row (1 to 100)'
),
(
  'alert_chart_reentry_days', '14'::jsonb,
  'A chart week at least this many days after the previous charted week is a re-entry (8 to 3650)'
)
on conflict (key) do nothing;

-- One alert. kind says what happened; title is the sentence the app shows; detail the numbers
-- behind it; release_id, music_video_id and link_path (/releases/<release_id>/music-video, the
-- spec's deep link, which the app opens with music_video_id highlighted) are what a notification
-- needs to deep-link. occurred_at is when it happened in the data (the sample's collected_at, the
-- failed job's completion). dedupe_key names the event; see private.raise_music_video_alert.
create table public.music_video_alerts (
  id uuid primary key default extensions.uuid_generate_v4(),
  music_video_id uuid not null references public.music_videos (id) on delete cascade,
  release_id uuid not null references public.releases (id) on delete cascade,
  kind text not null,
  platform public.platform_enum,
  source text,
  title text not null,
  detail jsonb not null default '{}'::jsonb,
  link_path text not null,
  occurred_at timestamptz not null,
  metric_id uuid references public.music_video_metrics (id) on delete set null,
  import_id uuid references public.music_video_metric_imports (id) on delete set null,
  dedupe_key text not null,
  read_at timestamptz,
  created_at timestamptz not null default timezone('utc'::text, now()),
  updated_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_alerts_kind_known check (kind in (
    'kpi_target_reached', 'chart_entry', 'chart_new_peak', 'chart_reentry', 'source_failing'
  )),
  constraint music_video_alerts_detail_object check (jsonb_typeof(detail) = 'object'),
  constraint music_video_alerts_dedupe_key_key unique (dedupe_key)
);
-- The read policy filters on the video; a video's feed is read newest first.
create index music_video_alerts_video_created_idx on public.music_video_alerts (music_video_id, created_at desc);
-- A release's feed (the Music Videos tab's bell), newest first.
create index music_video_alerts_release_created_idx on public.music_video_alerts (release_id, created_at desc);
-- Foreign keys: a deleted metric or import row finds its alerts without a scan.
create index music_video_alerts_metric_id_idx on public.music_video_alerts (metric_id);
create index music_video_alerts_import_id_idx on public.music_video_alerts (import_id);

create trigger set_updated_at before update on public.music_video_alerts
for each row execute function private.set_updated_at();

alter table public.music_video_alerts enable row level security;
revoke all on table public.music_video_alerts from public, anon, authenticated;
grant select on table public.music_video_alerts to authenticated;
grant select, insert, update, delete on table public.music_video_alerts to service_role;

create policy "Release owners and admins read alerts" on public.music_video_alerts
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));

-- The app hears of a new alert (and of one marked read elsewhere) without polling; realtime
-- applies the read policy to each subscriber.
alter publication supabase_realtime add table public.music_video_alerts;

-- The one writer of alert rows: fills in the release and the deep link, and does nothing when
-- the event's dedupe_key is already there (dedupe keys: kpi_target_reached:<video>:<target>,
-- chart_entry:<video>:<chart>, chart_new_peak:<video>:<chart>:<position>,
-- chart_reentry:<video>:<chart>:<week>, source_failing:<video>:<source>:<first failed import of
-- the streak>). Called by the triggers below only.
create or replace function private.raise_music_video_alert(
  p_music_video_id uuid,
  p_kind text,
  p_dedupe_key text,
  p_title text,
  p_detail jsonb,
  p_occurred_at timestamptz,
  p_platform public.platform_enum default null,
  p_source text default null,
  p_metric_id uuid default null,
  p_import_id uuid default null
)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into public.music_video_alerts (
    music_video_id, release_id, kind, platform, source, title, detail, link_path, occurred_at,
    metric_id, import_id, dedupe_key
  )
  select
    v.id, v.release_id, p_kind, p_platform, p_source, p_title, coalesce(p_detail, '{}'::jsonb),
    '/releases/' || v.release_id || '/music-video', p_occurred_at, p_metric_id, p_import_id, p_dedupe_key
  from public.music_videos as v
  where v.id = p_music_video_id
  on conflict (dedupe_key) do nothing
$$;
revoke all on function private.raise_music_video_alert(
  uuid, text, text, text, jsonb, timestamptz, public.platform_enum, text, uuid, uuid
) from public;

-- Chart alerts, per chart (source) of a video's chart rows (platform 'other', chart_position set,
-- the chart week in collected_at). Judged against the video's other live rows of that chart:
--   chart_entry     no earlier charted week (once per video and chart, even for a back-fill),
--   chart_reentry   the previous charted week is at least alert_chart_reentry_days earlier,
--   chart_new_peak  a better position than every earlier week.
-- Re-entry and peak are raised only for the chart's newest week, so back-filling a year of
-- history raises its entry and at most the current week's news, not one alert per old week.
-- AFTER ROW: runs only for rows actually written (an upsert's conflicting insert attempt raises
-- nothing) and sees every row of its statement.
create or replace function private.raise_chart_alerts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_prev_count integer;
  v_prev_best integer;
  v_prev_at timestamptz;
  v_later boolean;
  v_gap_days integer;
  v_chart text := coalesce(new.source, 'chart');
  v_label text;
begin
  select count(*), min(m.chart_position), max(m.collected_at)
  into v_prev_count, v_prev_best, v_prev_at
  from public.music_video_metrics as m
  where m.music_video_id = new.music_video_id
    and m.platform = new.platform
    and m.collected_at < new.collected_at
    and m.deleted_at is null
    and m.chart_position is not null
    and m.source is not distinct from new.source;
  select coalesce(c.label, v_chart) into v_label
  from (select 1) as one
  left join public.music_video_chart_sources as c on c.id = new.source;

  if v_prev_count = 0 then
    perform private.raise_music_video_alert(
      new.music_video_id, 'chart_entry', format('chart_entry:%s:%s', new.music_video_id, v_chart),
      format('Entered %s at #%s', v_label, new.chart_position),
      jsonb_build_object('chart', new.source, 'chart_label', v_label, 'position', new.chart_position,
                         'week', new.collected_at),
      new.collected_at, new.platform, new.source, new.id
    );
    return null;
  end if;

  select exists (
    select 1 from public.music_video_metrics as m
    where m.music_video_id = new.music_video_id
      and m.platform = new.platform
      and m.collected_at > new.collected_at
      and m.deleted_at is null
      and m.chart_position is not null
      and m.source is not distinct from new.source
  ) into v_later;
  if v_later then
    return null;
  end if;

  v_gap_days := extract(day from new.collected_at - v_prev_at)::integer;
  if v_gap_days >= private.music_video_setting_number('alert_chart_reentry_days', 14, 8, 3650) then
    perform private.raise_music_video_alert(
      new.music_video_id, 'chart_reentry',
      format('chart_reentry:%s:%s:%s', new.music_video_id, v_chart, (new.collected_at at time zone 'UTC')::date),
      format('Back on %s at #%s after %s weeks off', v_label, new.chart_position, v_gap_days / 7 - 1),
      jsonb_build_object('chart', new.source, 'chart_label', v_label, 'position', new.chart_position,
                         'week', new.collected_at, 'previous_week', v_prev_at, 'days_off', v_gap_days),
      new.collected_at, new.platform, new.source, new.id
    );
  end if;
  if new.chart_position < v_prev_best then
    perform private.raise_music_video_alert(
      new.music_video_id, 'chart_new_peak',
      format('chart_new_peak:%s:%s:%s', new.music_video_id, v_chart, new.chart_position),
      format('New peak on %s: #%s (best before: #%s)', v_label, new.chart_position, v_prev_best),
      jsonb_build_object('chart', new.source, 'chart_label', v_label, 'position', new.chart_position,
                         'previous_best', v_prev_best, 'week', new.collected_at),
      new.collected_at, new.platform, new.source, new.id
    );
  end if;
  return null;
end
$$;
revoke all on function private.raise_chart_alerts() from public;

create trigger music_video_metrics_chart_alerts_on_insert
after insert on public.music_video_metrics
for each row
when (new.chart_position is not null and new.deleted_at is null)
execute function private.raise_chart_alerts();

-- Updates matter only when they change the chart facts or restore a rolled-back row; a re-sync
-- of the same week with the same position fires nothing.
create trigger music_video_metrics_chart_alerts_on_update
after update on public.music_video_metrics
for each row
when (
  new.chart_position is not null and new.deleted_at is null
  and (
    old.chart_position is distinct from new.chart_position
    or old.source is distinct from new.source
    or old.collected_at is distinct from new.collected_at
    or old.deleted_at is not null
  )
)
execute function private.raise_chart_alerts();

-- KPI view target reached: judged on the card summary (20261124015500), whose views_total is the
-- video's views summed over platforms and is refreshed once per transaction at commit, so the
-- alert fires once per crossing whatever the number of samples written. Raised when views_total
-- moves from below the target (or from nothing) to at least the target; once per target value.
create or replace function private.raise_kpi_target_alert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_target bigint;
begin
  select v.kpi_view_target into v_target from public.music_videos as v where v.id = new.music_video_id;
  if v_target is null or v_target < 1 or new.views_total < v_target then
    return null;
  end if;
  if tg_op = 'UPDATE' and old.views_total >= v_target then
    return null;
  end if;
  perform private.raise_music_video_alert(
    new.music_video_id, 'kpi_target_reached',
    format('kpi_target_reached:%s:%s', new.music_video_id, v_target),
    format('Reached the view target: %s views (target %s)',
           to_char(new.views_total, 'FM999,999,999,999'), to_char(v_target, 'FM999,999,999,999')),
    jsonb_build_object('view_target', v_target, 'views_total', new.views_total,
                       'views_before', case when tg_op = 'UPDATE' then old.views_total end,
                       'views_by_platform', new.views_by_platform),
    coalesce(new.last_collected_at, now())
  );
  return null;
end
$$;
revoke all on function private.raise_kpi_target_alert() from public;

create trigger music_video_metric_summaries_kpi_alert_on_insert
after insert on private.music_video_metric_summaries
for each row
when (new.views_total is not null)
execute function private.raise_kpi_target_alert();

create trigger music_video_metric_summaries_kpi_alert_on_update
after update on private.music_video_metric_summaries
for each row
when (new.views_total is not null and new.views_total is distinct from old.views_total)
execute function private.raise_kpi_target_alert();

-- A source failing N syncs in a row: N = alert_failing_syncs. The video's finished jobs of that
-- source (succeeded, failed, partially_failed; newest first by created_at) start with exactly N
-- failures: raised once per streak (the N+1th failure does not raise another; a success ends
-- the streak). The newest failure's error is in detail.
create or replace function private.raise_source_failing_alert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_n integer := private.music_video_setting_number('alert_failing_syncs', 3, 1, 100)::integer;
  v_run uuid[];
  v_statuses public.import_status_enum[];
  v_streak integer;
begin
  select array_agg(j.id order by j.created_at desc, j.id desc), array_agg(j.status order by j.created_at desc, j.id desc)
  into v_run, v_statuses
  from (
    select i.id, i.status, i.created_at
    from public.music_video_metric_imports as i
    where i.music_video_id = new.music_video_id
      and i.source = new.source
      and i.status in ('succeeded', 'failed', 'partially_failed')
    order by i.created_at desc, i.id desc
    limit v_n + 1
  ) as j;
  v_streak := coalesce(array_position(v_statuses, 'succeeded'), v_n + 2) - 1;
  v_streak := least(v_streak, coalesce(array_position(v_statuses, 'partially_failed'), v_n + 2) - 1);
  v_streak := least(v_streak, cardinality(v_statuses));
  if v_streak <> v_n or not (new.id = any(v_run[1:v_n])) then
    return null;
  end if;
  perform private.raise_music_video_alert(
    new.music_video_id, 'source_failing',
    format('source_failing:%s:%s:%s', new.music_video_id, new.source, v_run[v_n]),
    format('%s sync failed %s times in a row',
      case new.source when 'youtube' then 'YouTube' when 'charts' then 'Chart' when 'broadcast' then 'TV import'
        else new.source end, v_n),
    jsonb_build_object('source', new.source, 'failures', v_n, 'last_error', new.error_message,
                       'import_ids', to_jsonb(v_run[1:v_n])),
    coalesce(new.completed_at, new.updated_at, now()),
    new.platform, new.source, null, new.id
  );
  return null;
end
$$;
revoke all on function private.raise_source_failing_alert() from public;

create trigger music_video_metric_imports_failing_alert_on_insert
after insert on public.music_video_metric_imports
for each row
when (new.status = 'failed' and new.music_video_id is not null)
execute function private.raise_source_failing_alert();

create trigger music_video_metric_imports_failing_alert_on_update
after update of status on public.music_video_metric_imports
for each row
when (new.status = 'failed' and old.status <> 'failed' and new.music_video_id is not null)
execute function private.raise_source_failing_alert();

-- Marks one alert read (or unread again): the only change an owner makes to an alert, so it is a
-- checked security definer write rather than an update grant on the table. A missing alert and
-- one of a video that is not yours are the same PT404. Admins read every alert but cannot clear
-- an owner's notification.
create or replace function private.mark_music_video_alert_read(p_alert_id uuid, p_read boolean)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_video uuid;
  v_row public.music_video_alerts;
begin
  select a.music_video_id into v_video from public.music_video_alerts as a where a.id = p_alert_id;
  if v_video is null or not private.can_access_video(v_video) then
    raise exception using errcode = 'PT404', message = 'Alert not found';
  end if;
  if p_read is null then
    raise exception using
      errcode = '22023', message = 'Invalid alert update',
      detail = jsonb_build_object('problems', jsonb_build_array(jsonb_build_object(
        'field', 'read', 'code', 'required', 'message', 'read must be true or false'
      )))::text;
  end if;
  update public.music_video_alerts as a
  set read_at = case when p_read then coalesce(a.read_at, now()) end
  where a.id = p_alert_id
  returning a.* into v_row;
  return to_jsonb(v_row);
end
$$;
revoke all on function private.mark_music_video_alert_read(uuid, boolean) from public;
grant execute on function private.mark_music_video_alert_read(uuid, boolean) to authenticated, service_role;

-- PATCH /music-video-alerts/:id {read}: the exposed RPC, security invoker over the checked write.
-- Returns the alert row as JSON.
create or replace function public.mark_music_video_alert_read(id text default null, read boolean default true)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.mark_music_video_alert_read(private.try_uuid(btrim(id)), read)
$$;
revoke all on function public.mark_music_video_alert_read(text, boolean) from public, anon;
grant execute on function public.mark_music_video_alert_read(text, boolean) to authenticated, service_role;
