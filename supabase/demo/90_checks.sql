-- DEMO DATA (see 00_users_and_releases.sql). The load fails, and rolls back whole, when the demo
-- is not what the README promises. (The plan rules have already judged every plan: the RPCs as
-- they ran, the table rules at commit.)

-- Run the deferred triggers now rather than at commit: the plan rules past draft, the card
-- summaries and the KPI alerts they raise, so the checks below see their results.
set constraints all immediate;

do $$
declare
  v_missing text;
  v_count bigint;
begin
  -- A card in every lane of the main release's board.
  select string_agg(s.status::text, ', ')
  into v_missing
  from unnest(enum_range(null::public.video_status_enum)) as s (status)
  where not exists (
    select 1 from public.music_videos as v
    where v.release_id = 'd3e0d3e0-0000-4000-8000-0000000000a1' and v.status = s.status
  );
  if v_missing is not null then
    raise exception 'demo: no video in the lane(s) %', v_missing;
  end if;

  -- Nothing left for a worker to claim: a running worker must not re-run the demo's history.
  select count(*) into v_count
  from public.music_video_metric_imports as j
  inner join public.music_videos as v on j.music_video_id = v.id
  inner join public.releases as r on v.release_id = r.id
  where r.user_id in ('d3e0d3e0-0000-4000-8000-000000000001', 'd3e0d3e0-0000-4000-8000-000000000002')
    and j.status in ('pending', 'processing');
  if v_count > 0 then
    raise exception 'demo: % import job(s) left pending', v_count;
  end if;

  -- A year of daily YouTube samples per released video.
  select count(*) into v_count
  from public.music_videos as v
  inner join public.releases as r on v.release_id = r.id
  where r.user_id = 'd3e0d3e0-0000-4000-8000-000000000001' and v.status = 'released'
    and (select count(*) from public.music_video_metrics as m
      where m.music_video_id = v.id and m.platform = 'youtube') < 365;
  if v_count > 0 then
    raise exception 'demo: % released video(s) without a year of YouTube samples', v_count;
  end if;

  -- The database raised alerts from the data (KPI and chart triggers).
  if not exists (
    select 1 from public.music_video_alerts
    where release_id in ('d3e0d3e0-0000-4000-8000-0000000000a1', 'd3e0d3e0-0000-4000-8000-0000000000a2')
      and kind = 'kpi_target_reached'
  ) then
    raise exception 'demo: no KPI alert was raised';
  end if;
end
$$;
