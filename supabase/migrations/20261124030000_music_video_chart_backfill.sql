-- Chart history backfill (spec 3.2 "Historical Backfill"): when a plan is first created with a
-- chart target (submitted: submitted_at goes from null to set, on insert or on the draft ->
-- planned move; drafts are only autosaves, spec 1.2 and 5.1 #3), a charts import job is queued with metadata {"backfill_weeks": N}, N the
-- chart_backfill_weeks setting (default 52); owners can also ask for one later through
-- request_music_video_chart_backfill(). The charts worker (workers/charts_jobs.py) reads
-- backfill_weeks and ingests the N most recent chart weeks, sharing each (chart, week) fetch
-- between all the videos of a claimed batch.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

insert into public.music_video_settings (key, value, description)
values (
  'chart_backfill_weeks', '52'::jsonb,
  'Chart weeks ingested when a plan is first created with a chart target (and the default of a backfill request)'
)
on conflict (key) do nothing;

-- Queues (or widens) the charts job of one video with a backfill of p_weeks. A live pending
-- charts job is reused, its backfill_weeks raised to the larger of the two; a job already being
-- processed cannot be widened, so the caller gets PT409 and may ask again when it finishes.
create or replace function private.enqueue_music_video_chart_backfill(
  p_music_video_id uuid, p_weeks integer, p_trigger text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_id uuid;
  v_status public.import_status_enum;
  v_created boolean := false;
  v_triggered_by uuid;
begin
  select p.id into v_triggered_by from public.profiles as p where p.id = (select auth.uid());
  for attempt in 1..5 loop
    insert into public.music_video_metric_imports (music_video_id, platform, source, triggered_by, metadata)
    values (
      p_music_video_id, null, 'charts', v_triggered_by,
      jsonb_build_object(
        'trigger', p_trigger, 'backfill_weeks', p_weeks,
        'sync_id', replace(extensions.uuid_generate_v4()::text, '-', '') || ':' || p_music_video_id::text
      )
    )
    on conflict (music_video_id, source)
    where status in ('pending', 'processing') and source in ('youtube', 'charts')
    do nothing
    returning id, status into v_id, v_status;
    if v_id is not null then
      v_created := true;
      exit;
    end if;
    -- the live job that won the unique index; widen it while it is still pending
    update public.music_video_metric_imports as i
    set metadata = i.metadata || jsonb_build_object(
      'backfill_weeks', greatest(coalesce((i.metadata ->> 'backfill_weeks')::integer, 0), p_weeks)
    )
    where i.music_video_id = p_music_video_id
      and i.source = 'charts'
      and i.status = 'pending'
    returning i.id, i.status into v_id, v_status;
    if v_id is not null then
      exit;
    end if;
    if exists (
      select 1
      from public.music_video_metric_imports as i
      where i.music_video_id = p_music_video_id and i.source = 'charts' and i.status = 'processing'
    ) then
      raise exception using
        errcode = 'PT409',
        message = 'A chart import is already running for this music video',
        detail = jsonb_build_object('music_video_id', 'a charts job is being processed')::text,
        hint = 'Ask for the backfill again when the running import has finished.';
    end if;
  end loop;
  if v_id is null then
    raise exception using errcode = 'PT409', message = 'The chart backfill could not be queued; try again';
  end if;
  return jsonb_build_object(
    'import_id', v_id, 'music_video_id', p_music_video_id, 'status', v_status,
    'created', v_created, 'backfill_weeks', p_weeks
  );
end
$$;
revoke all on function private.enqueue_music_video_chart_backfill(uuid, integer, text) from public;
grant execute on function private.enqueue_music_video_chart_backfill(uuid, integer, text) to service_role;

-- The configured backfill length (chart_backfill_weeks, default 52, clamped to 1..520).
create or replace function private.chart_backfill_weeks()
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select least(greatest(coalesce((
    select case when jsonb_typeof(s.value) = 'number' then (s.value #>> '{}')::numeric::integer end
    from public.music_video_settings as s
    where s.key = 'chart_backfill_weeks'
  ), 52), 1), 520)
$$;
revoke all on function private.chart_backfill_weeks() from public;
grant execute on function private.chart_backfill_weeks() to authenticated, service_role;

-- On music_videos: a plan submitted with a chart target gets its history backfilled. The job is
-- queued in the submitting transaction, so a rolled-back submit queues nothing.
create or replace function private.queue_chart_backfill_on_submit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  begin
    perform private.enqueue_music_video_chart_backfill(new.id, private.chart_backfill_weeks(), 'plan_created');
  exception
    when sqlstate 'PT409' then
      -- a charts job is running right now: never fail the submit for it; the owner can ask later
      raise warning 'chart backfill not queued for music video %: %', new.id, sqlerrm;
  end;
  return null;
end
$$;
revoke all on function private.queue_chart_backfill_on_submit() from public;

create trigger queue_chart_backfill_on_insert
after insert on public.music_videos
for each row
when (new.kpi_chart_target is not null and new.submitted_at is not null)
execute function private.queue_chart_backfill_on_submit();

create trigger queue_chart_backfill_on_submit
after update on public.music_videos
for each row
when (old.submitted_at is null and new.submitted_at is not null and new.kpi_chart_target is not null)
execute function private.queue_chart_backfill_on_submit();

-- The checked write behind the RPC: owners of the video (and admins, and the service role).
create or replace function private.request_music_video_chart_backfill(p_music_video_id uuid, p_weeks integer)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_music_video_id is null
     or not ((select private.is_admin())
             or private.can_access_video(p_music_video_id)) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;
  if p_weeks is not null and (p_weeks < 1 or p_weeks > 520) then
    raise exception using
      errcode = '22023',
      message = 'Invalid backfill length',
      detail = jsonb_build_object('weeks', 'must be between 1 and 520')::text;
  end if;
  return private.enqueue_music_video_chart_backfill(
    p_music_video_id, coalesce(p_weeks, private.chart_backfill_weeks()), 'backfill_request'
  );
end
$$;
revoke all on function private.request_music_video_chart_backfill(uuid, integer) from public;
grant execute on function private.request_music_video_chart_backfill(uuid, integer) to authenticated, service_role;

-- POST /music-videos/:id/charts/backfill: queue (or widen) a chart history backfill; returns the
-- import id to poll. security invoker; the private function above checks access and writes.
create or replace function public.request_music_video_chart_backfill(
  music_video_id text, weeks integer default null
)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.request_music_video_chart_backfill(private.try_uuid(music_video_id), weeks)
$$;
revoke all on function public.request_music_video_chart_backfill(text, integer) from public, anon;
grant execute on function public.request_music_video_chart_backfill(text, integer) to authenticated, service_role;
