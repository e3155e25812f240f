-- One error shape (issue 12, section 1): the chart backfill answered its 22023 (weeks) and its
-- PT409 (a charts job is running) with a flat detail, and its "try again" PT409 with none. Same
-- checks, SQLSTATEs and messages; detail is now {"problems": [{field, code, message}]}.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The one enqueue of a backfill (20261124030000; the submit trigger and the RPC share it):
-- problem codes import_running and busy (music_video_id).
create or replace function private.enqueue_music_video_chart_backfill(p_music_video_id uuid, p_weeks integer, p_trigger text)
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
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          'music_video_id', 'import_running', 'A charts job is being processed for this music video.')))::text,
        hint = 'Ask for the backfill again when the running import has finished.';
    end if;
  end loop;
  if v_id is null then
    raise exception using errcode = 'PT409', message = 'The chart backfill could not be queued; try again',
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'music_video_id', 'busy', 'The chart job of this music video changed while it was queued; try again.')))::text;
  end if;
  return jsonb_build_object(
    'import_id', v_id, 'music_video_id', p_music_video_id, 'status', v_status,
    'created', v_created, 'backfill_weeks', p_weeks
  );
end
$$;
revoke all on function private.enqueue_music_video_chart_backfill(uuid, integer, text) from public;
grant execute on function private.enqueue_music_video_chart_backfill(uuid, integer, text) to service_role;

-- The checked request (20261124030000): problem code out_of_range (weeks).
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
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'weeks', 'out_of_range', 'The backfill covers between 1 and 520 weeks.')))::text;
  end if;
  return private.enqueue_music_video_chart_backfill(
    p_music_video_id, coalesce(p_weeks, private.chart_backfill_weeks()), 'backfill_request'
  );
end
$$;
revoke all on function private.request_music_video_chart_backfill(uuid, integer) from public;
grant execute on function private.request_music_video_chart_backfill(uuid, integer) to authenticated, service_role;
