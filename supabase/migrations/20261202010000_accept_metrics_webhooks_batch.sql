-- Group commit of the webhook intake (issue 12, speed). Each service process gathers the pushes
-- verified while its previous statement ran and hands them to PostgreSQL in ONE statement and one
-- transaction (workers/service/batcher.py): many pushes share one round trip, one commit (one WAL
-- flush), one insert of their delivery rows and one insert of their import jobs (the import
-- table's statement triggers, the summary note and the notify check, run once per batch instead
-- of once per push). It takes over from the one-push private.accept_metrics_webhook
-- (20261201020200) as the one home of the intake's rules, which are unchanged:
-- * the delivery is recorded under its unique (source, webhook_id); an id already recorded
--   (by any process or machine: a concurrent insert of the same id waits for the first
--   transaction, then conflicts), or twice in the batch, is a replay: {outcome: 'duplicate',
--   import_ids} with the first delivery's jobs, nothing enqueued;
-- * the push's references are resolved and judged: a reference naming no video refuses the push
--   with PT404 (unknown_video), a video that does not sync by 'webhook' or has no target on the
--   platform with PT422; a refused push leaves nothing (its delivery row is removed again);
-- * broadcast partners: one 'webhook' import job per push; YouTube: a sync of the named videos
--   through private.enqueue_music_video_syncs (a live job is reused).
-- A refusal never fails the other pushes: the answer is one jsonb array in the order of p_pushes
-- ({source, webhook_id, refs, path, metadata} each), per push {outcome, import_ids} or
-- {sqlstate, message, detail} (detail: the text of {"problems": [...]}, as the RPCs' errors).
-- An unexpected error fails the statement (everything rolls back); the service then retries the
-- batch's pushes one by one.

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
  v_out jsonb[] := array_fill(null::jsonb, array[jsonb_array_length(p_pushes)]);
  v_new bigint[];
  v_job_ids uuid[];
  v_job_by_n uuid[] := array_fill(null::uuid, array[jsonb_array_length(p_pushes)]);
  v_push record;
  v_acc_n bigint[] := '{}';
  v_acc_id uuid[] := '{}';
  v_acc_video uuid[] := '{}';
  v_acc_videos jsonb[] := '{}';
  v_refused bigint[] := '{}';
  v_ids uuid[];
  v_state text;
  v_message text;
  v_detail text;
begin
  -- 1. The deliveries, in key order (two batches naming the same ids lock them in the same order).
  -- A broadcast push's job id is drawn here and recorded with its delivery (no second write of
  -- the row once the job exists); a YouTube push's jobs are known after its enqueue.
  with p as (
    select
      e.n, e.value ->> 'source' as source, e.value ->> 'webhook_id' as webhook_id, e.value ->> 'path' as path,
      case when e.value ->> 'source' <> 'youtube' then gen_random_uuid() end as job_id
    from jsonb_array_elements(p_pushes) with ordinality as e (value, n)
  ),

  ins as (
    insert into private.metrics_webhook_deliveries (source, webhook_id, raw_payload_path, import_ids)
    select p.source, p.webhook_id, p.path, case when p.job_id is null then '{}' else array[p.job_id] end from p
    order by p.source, p.webhook_id, p.n
    on conflict do nothing
    returning source, webhook_id, raw_payload_path
  )

  select array_agg(p.n order by p.n), array_agg(p.job_id order by p.n) into v_new, v_job_ids
  from ins
  inner join p on ins.source = p.source and ins.webhook_id = p.webhook_id and ins.raw_payload_path = p.path;
  v_new := coalesce(v_new, '{}');
  for i in 1 .. cardinality(v_new) loop
    v_job_by_n[v_new[i]] := v_job_ids[i];
  end loop;

  -- 2. The new pushes' references, each in order: a target of the push's platform whose
  -- external_id is the reference (the partner's id of the video, or the YouTube video id), else a
  -- video whose id it is; judged per push.
  for v_push in
    select
      e.n,
      e.value ->> 'source' as source,
      coalesce(jsonb_object_agg(r.ref, m.id) filter (where m.id is not null), '{}'::jsonb) as videos,
      array_agg(distinct m.id) filter (where m.id is not null) as video_ids,
      jsonb_agg(
        case
          when m.id is null then private.plan_problem('video_reference', 'unknown_video',
            format('no music video has the %s reference %L', e.value ->> 'source', r.ref))
          when m.sync_strategy <> 'webhook' then private.plan_problem('video_reference', 'wrong_sync_strategy',
            format('music video %s (%s) syncs %L, not ''webhook'': it does not accept pushes',
              m.id, r.ref, m.sync_strategy))
          when not m.targeted then private.plan_problem('video_reference', 'platform_not_targeted',
            format('music video %s (%s) has no %s platform target', m.id, r.ref, e.value ->> 'source'))
        end order by r.k) filter (
        where r.ref is not null and (m.id is null or m.sync_strategy <> 'webhook' or not m.targeted)
      ) as problems
    from jsonb_array_elements(p_pushes) with ordinality as e (value, n)
    -- (a push names at least one reference: the parsers refuse one without)
    left join lateral jsonb_array_elements_text(e.value -> 'refs') with ordinality as r (ref, k) on true
    left join lateral (
      select x.id, x.sync_strategy, x.targeted
      from (
        select v.id, v.sync_strategy::text as sync_strategy, true as targeted, 0 as rank
        from public.music_video_platform_targets as t
        inner join public.music_videos as v on t.music_video_id = v.id
        where t.platform = (e.value ->> 'source')::public.platform_enum and t.external_id = r.ref
        union all
        select v.id, v.sync_strategy::text, exists (
          select 1 from public.music_video_platform_targets as t
          where t.music_video_id = v.id and t.platform = (e.value ->> 'source')::public.platform_enum
        ), 1
        from public.music_videos as v
        where v.id = private.try_uuid(r.ref)
      ) as x
      order by x.rank
      limit 1
    ) as m on true
    where e.n = any(v_new)
    group by e.n, e.value ->> 'source'
    order by e.n
  loop
    if v_push.problems is not null then
      v_out[v_push.n] := jsonb_build_object(
        'sqlstate', case when jsonb_path_exists(v_push.problems, '$[*] ? (@.code == "unknown_video")')
          then 'PT404' else 'PT422' end,
        'message', v_push.problems -> 0 ->> 'message',
        'detail', jsonb_build_object('problems', v_push.problems)::text);
      v_refused := v_refused || v_push.n;
    elsif v_push.source = 'youtube' then
      -- No counts in a YouTube notification: a sync of each named video (a live job is reused).
      begin
        select array_agg(s.import_id) into v_ids
        from private.enqueue_music_video_syncs(v_push.video_ids, 'webhook', false, null, array['youtube']) as s;
        update private.metrics_webhook_deliveries as d
        set import_ids = coalesce(v_ids, '{}')
        from jsonb_array_elements(p_pushes) with ordinality as e (value, n)
        where e.n = v_push.n and d.source = e.value ->> 'source' and d.webhook_id = e.value ->> 'webhook_id';
        v_out[v_push.n] := jsonb_build_object('outcome', 'accepted', 'import_ids', to_jsonb(coalesce(v_ids, '{}')));
      exception when others then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
        v_out[v_push.n] := jsonb_build_object('sqlstate', v_state, 'message', v_message, 'detail', v_detail);
        v_refused := v_refused || v_push.n;
      end;
    else
      v_acc_n := v_acc_n || v_push.n;
      v_acc_id := v_acc_id || v_job_by_n[v_push.n];
      v_acc_video := v_acc_video || case when cardinality(v_push.video_ids) = 1 then v_push.video_ids[1] end;
      v_acc_videos := v_acc_videos || v_push.videos;
    end if;
  end loop;

  -- 3. One `webhook` import job per accepted broadcast push (the id its delivery names), naming
  -- its stored body and videos.
  if cardinality(v_acc_n) > 0 then
    insert into public.music_video_metric_imports (id, music_video_id, platform, source, metadata)
    select
      u.id, u.video, (e.value ->> 'source')::public.platform_enum, 'webhook',
      coalesce(e.value -> 'metadata', '{}'::jsonb) || jsonb_build_object(
        'webhook_id', e.value ->> 'webhook_id',
        'partner', e.value ->> 'source',
        'raw_payload', jsonb_build_object('bucket', 'music-video-raw-payloads', 'path', e.value ->> 'path'),
        'videos', u.videos)
    from unnest(v_acc_n, v_acc_id, v_acc_video, v_acc_videos) as u (n, id, video, videos)
    inner join jsonb_array_elements(p_pushes) with ordinality as e (value, n) on u.n = e.n
    order by u.n;
    for i in 1 .. cardinality(v_acc_n) loop
      v_out[v_acc_n[i]] := jsonb_build_object('outcome', 'accepted', 'import_ids', jsonb_build_array(v_acc_id[i]));
    end loop;
  end if;

  -- 4. The refused pushes leave nothing.
  if cardinality(v_refused) > 0 then
    delete from private.metrics_webhook_deliveries as d
    using jsonb_array_elements(p_pushes) with ordinality as e (value, n)
    where e.n = any(v_refused) and d.source = e.value ->> 'source' and d.webhook_id = e.value ->> 'webhook_id';
  end if;

  -- 5. Replays (a new statement: it sees the first delivery's commit, or this batch's own row).
  -- A replay within the batch of a push refused here is refused alike.
  if cardinality(v_new) = jsonb_array_length(p_pushes) then
    return to_jsonb(v_out);
  end if;
  for v_push in
    select e.n, d.import_ids, (
      select v_out[f.n]
      from jsonb_array_elements(p_pushes) with ordinality as f (value, n)
      where
        f.n = any(v_refused) and f.value ->> 'source' = e.value ->> 'source'
        and f.value ->> 'webhook_id' = e.value ->> 'webhook_id'
      limit 1
    ) as refused
    from jsonb_array_elements(p_pushes) with ordinality as e (value, n)
    left join private.metrics_webhook_deliveries as d
      on d.source = e.value ->> 'source' and d.webhook_id = e.value ->> 'webhook_id'
    where not e.n = any(v_new)
  loop
    v_out[v_push.n] := coalesce(v_push.refused,
      jsonb_build_object('outcome', 'duplicate', 'import_ids', to_jsonb(coalesce(v_push.import_ids, '{}'))));
  end loop;
  return to_jsonb(v_out);
end;
$$;

-- Only the service (service role, or the database owner it connects as) calls it.
revoke all on function private.accept_metrics_webhooks(jsonb) from public, anon, authenticated;
grant execute on function private.accept_metrics_webhooks(jsonb) to service_role;

-- The one-push function stays for service processes of the previous release still running
-- during a deploy (they call it until restarted), now a batch of one: the same answer, and a
-- refusal raised as before (PT404 / PT422 with the problems as detail). Drop it once no such
-- process can remain.
create or replace function private.accept_metrics_webhook(
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
  v_result jsonb := private.accept_metrics_webhooks(jsonb_build_array(jsonb_build_object(
    'source', p_source, 'webhook_id', p_webhook_id, 'refs', to_jsonb(p_refs), 'path', p_raw_path,
    'metadata', p_metadata))) -> 0;
begin
  if v_result ? 'sqlstate' then
    raise exception using
      errcode = v_result ->> 'sqlstate', message = v_result ->> 'message', detail = coalesce(v_result ->> 'detail', '');
  end if;
  return v_result;
end;
$$;
