-- The webhook service's intake in one statement (issue 12 section 4, workers/service/webhooks.py):
-- record the delivery under its unique (source, webhook_id), resolve the push's video
-- references, judge them, enqueue, in one call and one implicit transaction, so a push costs
-- the service one round trip (the intake's throughput target). The raw body is already in
-- Storage when this runs (the service deletes it again when the push is refused or a replay).
-- Answers jsonb {outcome: 'accepted' | 'duplicate', import_ids}; a refused push raises (and rolls
-- back its delivery row): PT404 when a reference names no video, PT422 when a video does not
-- take pushes for the platform; detail {"problems": [...]} as every RPC's.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create function private.accept_metrics_webhook(
  p_source text,
  p_webhook_id text,
  p_refs text[],
  p_raw_path text,
  p_metadata jsonb
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_platform public.platform_enum := p_source::public.platform_enum;
  v_ids uuid[];
  v_videos jsonb;
  v_problems jsonb;
  v_distinct uuid[];
begin
  -- A second delivery of the same id waits for the first transaction, then conflicts: a replay.
  insert into private.metrics_webhook_deliveries (source, webhook_id, raw_payload_path)
  values (p_source, p_webhook_id, p_raw_path)
  on conflict do nothing;
  if not found then
    -- a new statement: it sees the first delivery's commit
    select d.import_ids into v_ids
    from private.metrics_webhook_deliveries as d
    where d.source = p_source and d.webhook_id = p_webhook_id;
    return jsonb_build_object('outcome', 'duplicate', 'import_ids', to_jsonb(coalesce(v_ids, '{}')));
  end if;

  -- Each reference, in order: a target of this platform whose external_id is the reference
  -- (the partner's id of the video, or the YouTube video id), else a video whose id it is.
  select
    coalesce(jsonb_agg(jsonb_build_object(
      'reference', r.ref, 'music_video_id', m.id, 'sync_strategy', m.sync_strategy, 'targeted', m.targeted)
      order by r.n), '[]'::jsonb),
    coalesce(jsonb_agg(
      case
        when m.id is null then private.plan_problem('video_reference', 'unknown_video',
          format('no music video has the %s reference %L', p_source, r.ref))
        when m.sync_strategy <> 'webhook' then private.plan_problem('video_reference', 'wrong_sync_strategy',
          format('music video %s (%s) syncs %L, not ''webhook'': it does not accept pushes',
            m.id, r.ref, m.sync_strategy))
        when not m.targeted then private.plan_problem('video_reference', 'platform_not_targeted',
          format('music video %s (%s) has no %s platform target', m.id, r.ref, p_source))
      end order by r.n) filter (where m.id is null or m.sync_strategy <> 'webhook' or not m.targeted),
      '[]'::jsonb)
  into v_videos, v_problems
  from unnest(p_refs) with ordinality as r (ref, n)
  left join lateral (
    select x.id, x.sync_strategy, x.targeted
    from (
      select v.id, v.sync_strategy::text as sync_strategy, true as targeted, 0 as rank
      from public.music_video_platform_targets as t
      inner join public.music_videos as v on t.music_video_id = v.id
      where t.platform = v_platform and t.external_id = r.ref
      union all
      select v.id, v.sync_strategy::text, exists (
        select 1 from public.music_video_platform_targets as t
        where t.music_video_id = v.id and t.platform = v_platform
      ), 1
      from public.music_videos as v
      where v.id = private.try_uuid(r.ref)
    ) as x
    order by x.rank
    limit 1
  ) as m on true;

  if jsonb_array_length(v_problems) > 0 then
    raise exception using
      errcode = case when jsonb_path_exists(v_problems, '$[*] ? (@.code == "unknown_video")')
        then 'PT404' else 'PT422' end,
      message = v_problems -> 0 ->> 'message',
      detail = jsonb_build_object('problems', v_problems)::text;
  end if;

  select array_agg(distinct (e.value ->> 'music_video_id')::uuid) into v_distinct
  from jsonb_array_elements(v_videos) as e (value);

  if p_source = 'youtube' then
    -- No counts in a YouTube notification: a sync of each named video (a live job is reused).
    select array_agg(e.import_id) into v_ids
    from private.enqueue_music_video_syncs(v_distinct, 'webhook', false, null, array['youtube']) as e;
  else
    -- One `webhook` import job naming the stored body and the resolved videos.
    with j as (
      insert into public.music_video_metric_imports (music_video_id, platform, source, metadata)
      values (
        case when cardinality(v_distinct) = 1 then v_distinct[1] end, v_platform, 'webhook',
        coalesce(p_metadata, '{}'::jsonb) || jsonb_build_object(
          'webhook_id', p_webhook_id,
          'partner', p_source,
          'raw_payload', jsonb_build_object('bucket', 'music-video-raw-payloads', 'path', p_raw_path),
          'videos', (select jsonb_object_agg(e.value ->> 'reference', e.value ->> 'music_video_id')
                     from jsonb_array_elements(v_videos) as e (value)))
      )
      returning id
    )
    select array_agg(j.id) into v_ids from j;
  end if;

  update private.metrics_webhook_deliveries as d
  set import_ids = coalesce(v_ids, '{}')
  where d.source = p_source and d.webhook_id = p_webhook_id;
  return jsonb_build_object('outcome', 'accepted', 'import_ids', to_jsonb(coalesce(v_ids, '{}')));
end;
$$;

-- Only the service (service role, or the database owner it connects as) calls it.
revoke all on function private.accept_metrics_webhook(text, text, text[], text, jsonb) from public, anon, authenticated;
grant execute on function private.accept_metrics_webhook(text, text, text[], text, jsonb) to service_role;
