-- GET /music-videos/:id (spec 2.3): the full plan as one JSON document, built by one function
-- so that get_music_video and every write RPC return the same shape and the UI never needs a
-- second call. Its shape is a contract (see the function's comment).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The plan document of one video, or null when the caller cannot see it. Keys: every
-- music_videos column, plus
--   theme {id, name}, art_style {id, name}, budget_band {id, name, min_cost, max_cost,
--   currency_code}, chart_source {id, label, provider};
--   line_items [{id, category, amount, notes}];
--   cast_assignments [{id, cast_option_id, name, role, role_override, cost_estimate,
--     cost_multiplier, projected_cost, confirmed, requires_union, notes}];
--   platform_targets [{id, platform, auto_sync, priority, launch_url, external_id}];
--   moodboards [{id, storage_path, caption, created_at}];
--   latest_metrics: the newest live (deleted_at is null) metric row per platform;
--   latest_imports: the newest import job per source;
--   status_history [{from_status, to_status, changed_by, changed_at}], oldest first;
--   budget {allocation_total, cast_cost_total, projected_total, min_cost, max_cost,
--     contingency_pct, hard_limit, currency_code, band, budget_band_id};
--   warnings [{field, code, message}]: budget warnings (never raised);
--   availability_conflicts [{kind, cast_option_id, name, role, from, to, ...message}];
--   open_problems [{field, code, message}]: what the plan rules say now (for a draft: what
--     would block submitting it).
-- One statement, every sub-collection read through its music_video_id index, the plan check run
-- once. security definer with one explicit gate for the API roles (authenticated, anon; the
-- roles RLS binds): private.can_access_video, the rule every policy on these tables applies
-- (the caller's releases; the service role sees everything). Under security invoker each of
-- the nine RLS tables read here re-ran the policies' access helpers, most of the call. Whoever
-- may see the video may see all of its rows in every table read here, so the document is the
-- same; other callers (owner, migrations) bypass RLS as before. plpgsql only so that the
-- statement's plan is cached per session (a language sql body is planned on every call).
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
            'id', li.id, 'category', li.category, 'amount', li.amount, 'notes', li.notes)
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
        'latest_metrics', coalesce((
          select jsonb_agg(to_jsonb(m) - 'deleted_at' order by m.platform)
          from (
            select distinct on (mm.platform) mm.*
            from public.music_video_metrics as mm
            where mm.music_video_id = v.id and mm.deleted_at is null
            order by mm.platform asc, mm.collected_at desc, mm.synced_at desc
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

-- GET /music-videos/:id. id is text so that a malformed id is the same PT404 as a missing one.
create or replace function public.get_music_video(id text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(get_music_video.id));
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only see videos of your own releases.';
  end if;
  return private.music_video_document(v_id);
end
$$;

revoke all on function private.music_video_document(uuid) from public;
grant execute on function private.music_video_document(uuid) to authenticated, service_role;
revoke all on function public.get_music_video(text) from public, anon;
grant execute on function public.get_music_video(text) to authenticated, service_role;
