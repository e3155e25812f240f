-- get_music_video's latest metrics bounded (issue 13 §1): the plan document's latest_metrics was a
-- distinct on (platform) over every live sample of the video (3,285 rows for a video with three
-- years of daily samples on three platforms), so get_music_video grew with the video's age. It is
-- now one index probe per platform, as private.refresh_music_video_metric_summaries reads the
-- card's latest metrics. Same rows: the newest live sample per platform (the old tie-break on
-- synced_at never applied: (video, platform, collected_at) is unique), in platform order.
-- The document is that of 20261130210400 with this one key changed; get_music_video and every
-- write RPC that returns the document are unchanged.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The plan document (20261130210400) with latest_metrics read one probe per platform.
create or replace function private.music_video_document(p_music_video_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select
      to_jsonb(v)
      || jsonb_build_object(
        'theme', (
          select jsonb_build_object('id', t.id, 'name', t.name)
          from public.music_video_themes as t where t.id = v.video_theme_id
        ),
        'art_style', (
          select jsonb_build_object('id', s.id, 'name', s.name)
          from public.music_video_art_styles as s where s.id = v.art_style_id
        ),
        'budget_band', (
          select jsonb_build_object(
            'id', b.id, 'name', b.name, 'min_cost', b.min_cost, 'max_cost', b.max_cost,
            'currency_code', b.currency_code)
          from public.music_video_budgets as b where b.id = v.budget_band_id
        ),
        'chart_source', (
          select jsonb_build_object('id', cs.id, 'label', cs.label, 'provider', cs.provider)
          from public.music_video_chart_sources as cs where cs.id = v.kpi_chart_target
        ),
        'line_items', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', li.id, 'category', li.category, 'amount', li.amount, 'notes', li.notes,
            'actual_amount', li.actual_amount, 'variance', li.actual_amount - li.amount)
            order by array_position(array['direction', 'cinematography', 'post', 'marketing'], li.category))
          from public.music_video_budget_line_items as li where li.music_video_id = v.id
        ), '[]'::jsonb),
        'cast_assignments', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', ca.id, 'cast_option_id', ca.cast_option_id, 'name', co.name, 'role', co.role,
            'role_override', ca.role_override, 'cost_estimate', ca.cost_estimate,
            'cost_multiplier', co.cost_multiplier,
            'projected_cost', round(coalesce(ca.cost_estimate, 0) * co.cost_multiplier),
            'confirmed', ca.confirmed, 'requires_union', co.requires_union, 'notes', ca.notes)
            order by ca.created_at, co.name)
          from public.music_video_cast_assignments as ca
          inner join public.music_video_cast_options as co on ca.cast_option_id = co.id
          where ca.music_video_id = v.id
        ), '[]'::jsonb),
        'platform_targets', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', pt.id, 'platform', pt.platform, 'auto_sync', pt.auto_sync, 'priority', pt.priority,
            'launch_url', pt.launch_url, 'external_id', pt.external_id)
            order by pt.priority nulls last, pt.platform)
          from public.music_video_platform_targets as pt where pt.music_video_id = v.id
        ), '[]'::jsonb),
        'moodboards', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', mb.id, 'storage_path', mb.storage_path, 'caption', mb.caption, 'created_at', mb.created_at)
            order by mb.created_at)
          from public.music_video_moodboards as mb where mb.music_video_id = v.id
        ), '[]'::jsonb),
        -- one probe of music_video_metrics_live_idx per platform (collected_at is unique per
        -- video and platform, so the newest live sample is the first entry)
        'latest_metrics', coalesce((
          select jsonb_agg(to_jsonb(m) - 'deleted_at' order by m.platform)
          from unnest(enum_range(null::public.platform_enum)) as e (platform)
          cross join lateral (
            select mm.*
            from public.music_video_metrics as mm
            where mm.music_video_id = v.id and mm.platform = e.platform and mm.deleted_at is null
            order by mm.collected_at desc
            limit 1
          ) as m
        ), '[]'::jsonb),
        'latest_imports', coalesce((
          select jsonb_agg(jsonb_build_object(
            'id', i.id, 'source', i.source, 'platform', i.platform, 'status', i.status,
            'error_message', i.error_message, 'attempts', i.attempts, 'max_attempts', i.max_attempts,
            'run_after', i.run_after, 'started_at', i.started_at, 'completed_at', i.completed_at,
            'created_at', i.created_at)
            order by i.source)
          from (
            select distinct on (ii.source) ii.*
            from public.music_video_metric_imports as ii
            where ii.music_video_id = v.id
            order by ii.source asc, ii.created_at desc
          ) as i
        ), '[]'::jsonb),
        'status_history', coalesce((
          select jsonb_agg(jsonb_build_object(
            'from_status', h.from_status, 'to_status', h.to_status, 'changed_by', h.changed_by,
            'changed_at', h.changed_at)
            order by h.changed_at, h.from_status nulls first)
          from public.music_video_status_history as h where h.music_video_id = v.id
        ), '[]'::jsonb),
        'budget', c.result -> 'budget',
        'budget_actuals', (
          select jsonb_build_object(
            'currency_code', c.result -> 'budget' -> 'currency_code',
            'allocation_total', coalesce(sum(li.amount), 0),
            'actual_total', coalesce(sum(li.actual_amount), 0),
            'variance_total', coalesce(sum(li.actual_amount), 0) - coalesce(sum(li.amount), 0))
          from public.music_video_budget_line_items as li where li.music_video_id = v.id
        ),
        'milestones', coalesce((
          select jsonb_agg(to_jsonb(m) order by m.due_date, m.kind, m.id)
          from public.music_video_milestones as m where m.music_video_id = v.id
        ), '[]'::jsonb),
        'promo_events', coalesce((
          select jsonb_agg(to_jsonb(pe) order by pe.starts_at, pe.id)
          from public.music_video_promo_events as pe where pe.music_video_id = v.id
        ), '[]'::jsonb),
        'warnings', c.result -> 'warnings',
        'availability_conflicts', c.result -> 'availability_conflicts',
        'open_problems', c.result -> 'problems'
      )
    from public.music_videos as v
    -- offset 0 keeps the subquery from being pulled up: without it the planner copies the call
    -- into each of the four `c.result -> ...` below and runs the plan check four times.
    cross join lateral (
      select private.music_video_plan_check(v, v.status = 'draft') as result
      offset 0
    ) as c
    where v.id = p_music_video_id
      and (
        current_setting('role') not in ('authenticated', 'anon')
        or private.can_access_video(p_music_video_id)
      )
  );
end
$$;
revoke all on function private.music_video_document(uuid) from public;
grant execute on function private.music_video_document(uuid) to authenticated, service_role;
