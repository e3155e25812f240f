-- One error shape (issue 12, section 1): "This music video has nothing to sync" (PT422) answered
-- with a flat detail ({"platform_targets": "...", "kpi_chart_target": "..."}), and the sync rule's
-- "could not be queued; try again" race (PT409) with a flat {music_video_id, source}. Same
-- SQLSTATEs and messages; detail is now {"problems": [{field, code, message}]}. The race is
-- re-raised here rather than in private.enqueue_music_video_syncs, which the scheduler also calls.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The checked request (20261130020100): problem codes nothing_to_sync (platform_targets,
-- kpi_chart_target) and busy (id).
create or replace function private.request_music_video_metrics_sync(p_music_video_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_items jsonb;
  v_message text;
  v_detail text;
begin
  if p_music_video_id is null
     or not private.can_access_video(p_music_video_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found';
  end if;

  begin
    select jsonb_agg(
      jsonb_build_object('id', e.import_id, 'source', e.source, 'status', e.status, 'created', e.outcome = 'created')
      order by e.source
    )
    into v_items
    from private.enqueue_music_video_syncs(array[p_music_video_id], 'manual', false) as e;
  exception
    -- the one sync rule's "could not be queued" race, answered in the one error shape
    when sqlstate 'PT409' then
      get stacked diagnostics v_message = message_text, v_detail = pg_exception_detail;
      if left(v_detail, 12) = '{"problems":' then
        -- already in the one shape (e.g. too_many_live_imports): passed on unchanged
        raise exception using errcode = 'PT409', message = v_message, detail = v_detail;
      end if;
      raise exception using
        errcode = 'PT409',
        message = v_message,
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          'id', 'busy', 'A sync job of this music video changed while it was queued; try again.')))::text;
  end;

  if v_items is null then
    raise exception using
      errcode = 'PT422',
      message = 'This music video has nothing to sync',
      detail = jsonb_build_object('problems', jsonb_build_array(
        private.plan_problem('platform_targets', 'nothing_to_sync',
          'Add a YouTube target with its video URL to sync YouTube views.'),
        private.plan_problem('kpi_chart_target', 'nothing_to_sync',
          'Set a chart target (or an ISRC, Spotify or Apple Music id) to sync chart positions.')
      ))::text,
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
