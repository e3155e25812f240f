-- The "Sync Metrics" RPC (20261124015300) keeps its signature, JSON answer and error codes, but
-- no longer decides the sources nor inserts jobs itself: private.enqueue_music_video_syncs()
-- (20261130020000) does, for it, the nightly scheduler and the workers alike.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The checked write, as security definer: the access check first (PT404 for a video that is
-- missing or not yours), then one manual sync (auto_sync ignored), PT422 when the video has
-- no source to sync. The answer lists the jobs in source order.
create or replace function private.request_music_video_metrics_sync(p_music_video_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_items jsonb;
begin
  if p_music_video_id is null
     or not private.can_access_video(p_music_video_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;

  select jsonb_agg(
    jsonb_build_object('id', e.import_id, 'source', e.source, 'status', e.status, 'created', e.outcome = 'created')
    order by e.source
  )
  into v_items
  from private.enqueue_music_video_syncs(array[p_music_video_id], 'manual', false) as e;

  if v_items is null then
    raise exception using
      errcode = 'PT422',
      message = 'This music video has nothing to sync',
      detail = jsonb_build_object(
        'platform_targets', 'add a YouTube target with its video URL to sync YouTube views',
        'kpi_chart_target', 'set a chart target (or an ISRC, Spotify or Apple Music id) to sync chart positions'
      )::text,
      hint = 'TV and MTV figures are imported from a CSV upload instead.';
  end if;

  return jsonb_build_object(
    'music_video_id', p_music_video_id,
    'import_ids', (select jsonb_agg(it -> 'id') from jsonb_array_elements(v_items) as it),
    'imports', v_items
  );
end
$$;
revoke all on function private.request_music_video_metrics_sync(uuid) from public;
grant execute on function private.request_music_video_metrics_sync(uuid) to authenticated, service_role;
