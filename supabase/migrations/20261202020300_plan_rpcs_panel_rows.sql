-- The plan write RPCs return a typed row (issue 12, sections 1-2: their jsonb answer is `Json` to
-- the generated TypeScript types). create_music_video, update_music_video, save_music_video_draft,
-- submit_music_video, set_music_video_platform_targets and set_music_video_budget_actuals answered
-- the plan document, whose keys are the columns of public.music_video_panel (get_music_video's row
-- since 20261201010200; a test keeps them equal). They now return that row: the same keys and
-- values in PostgREST's body (one object), typed. set_music_video_budget_actuals also loses the
-- defaults of its two required parameters (leaving one out is PGRST202, like every other write).
--
-- One body per RPC: each function moves to the private schema unchanged (same name, so its
-- plpgsql keeps resolving name-qualified parameters; same grants, no anon) and answers the
-- document there; the public function of the same signature converts it into the panel row
-- exactly as get_music_video does (jsonb_populate_record). Errors pass through untouched.
-- assign_music_video_cast and update_music_video_cast_assignment keep their document: it is the
-- panel plus the item written (assignment, removed_assignment_id), which music_video_panel
-- cannot carry (see their comments).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- create_music_video: the body moves to private (its document), the public function returns the row.
-- The public function of the same signature is created below.
-- squawk-ignore ban-set-schema
alter function public.create_music_video(text, text, text, text, text, public.quality_tier_enum, date, jsonb, text, text, integer, date, date, integer, text, public.platform_enum, public.sync_strategy_enum, boolean, text, text, text, text, jsonb, jsonb) set schema private;
create function public.create_music_video(
  release_id text,
  title text,
  video_theme_id text,
  art_style_id text,
  budget_band_id text,
  quality_tier public.quality_tier_enum,
  target_release_date date,
  platform_targets jsonb,
  slug text default null,
  narrative_outline text default null,
  budget_estimate integer default null,
  shoot_start_date date default null,
  shoot_end_date date default null,
  kpi_view_target integer default null,
  kpi_chart_target text default null,
  primary_platform public.platform_enum default null,
  sync_strategy public.sync_strategy_enum default 'manual',
  promo_only boolean default false,
  isrc text default null,
  spotify_track_uri text default null,
  apple_music_id text default null,
  artist_name text default null,
  line_items jsonb default null,
  cast_assignments jsonb default null
)
returns public.music_video_panel
language sql
volatile
security invoker
set search_path = ''
as $$
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.create_music_video(
    release_id => create_music_video.release_id,
    title => create_music_video.title,
    video_theme_id => create_music_video.video_theme_id,
    art_style_id => create_music_video.art_style_id,
    budget_band_id => create_music_video.budget_band_id,
    quality_tier => create_music_video.quality_tier,
    target_release_date => create_music_video.target_release_date,
    platform_targets => create_music_video.platform_targets,
    slug => create_music_video.slug,
    narrative_outline => create_music_video.narrative_outline,
    budget_estimate => create_music_video.budget_estimate,
    shoot_start_date => create_music_video.shoot_start_date,
    shoot_end_date => create_music_video.shoot_end_date,
    kpi_view_target => create_music_video.kpi_view_target,
    kpi_chart_target => create_music_video.kpi_chart_target,
    primary_platform => create_music_video.primary_platform,
    sync_strategy => create_music_video.sync_strategy,
    promo_only => create_music_video.promo_only,
    isrc => create_music_video.isrc,
    spotify_track_uri => create_music_video.spotify_track_uri,
    apple_music_id => create_music_video.apple_music_id,
    artist_name => create_music_video.artist_name,
    line_items => create_music_video.line_items,
    cast_assignments => create_music_video.cast_assignments
  )) as p
$$;
revoke all on function public.create_music_video(text, text, text, text, text, public.quality_tier_enum, date, jsonb, text, text, integer, date, date, integer, text, public.platform_enum, public.sync_strategy_enum, boolean, text, text, text, text, jsonb, jsonb) from public, anon;
grant execute on function public.create_music_video(text, text, text, text, text, public.quality_tier_enum, date, jsonb, text, text, integer, date, date, integer, text, public.platform_enum, public.sync_strategy_enum, boolean, text, text, text, text, jsonb, jsonb) to authenticated, service_role;

-- update_music_video: the body moves to private (its document), the public function returns the row.
-- The public function of the same signature is created below.
-- squawk-ignore ban-set-schema
alter function public.update_music_video(text, jsonb) set schema private;
create function public.update_music_video(
  id text,
  patch jsonb
)
returns public.music_video_panel
language sql
volatile
security invoker
set search_path = ''
as $$
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.update_music_video(
    id => update_music_video.id,
    patch => update_music_video.patch
  )) as p
$$;
revoke all on function public.update_music_video(text, jsonb) from public, anon;
grant execute on function public.update_music_video(text, jsonb) to authenticated, service_role;

-- save_music_video_draft: the body moves to private (its document), the public function returns the row.
-- The public function of the same signature is created below.
-- squawk-ignore ban-set-schema
alter function public.save_music_video_draft(text, text, text, jsonb, jsonb) set schema private;
create function public.save_music_video_draft(
  id text default null,
  release_id text default null,
  wizard_step text default null,
  wizard_state jsonb default null,
  patch jsonb default null
)
returns public.music_video_panel
language sql
volatile
security invoker
set search_path = ''
as $$
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.save_music_video_draft(
    id => save_music_video_draft.id,
    release_id => save_music_video_draft.release_id,
    wizard_step => save_music_video_draft.wizard_step,
    wizard_state => save_music_video_draft.wizard_state,
    patch => save_music_video_draft.patch
  )) as p
$$;
revoke all on function public.save_music_video_draft(text, text, text, jsonb, jsonb) from public, anon;
grant execute on function public.save_music_video_draft(text, text, text, jsonb, jsonb) to authenticated, service_role;

-- submit_music_video: the body moves to private (its document), the public function returns the row.
-- The public function of the same signature is created below.
-- squawk-ignore ban-set-schema
alter function public.submit_music_video(text) set schema private;
create function public.submit_music_video(
  id text
)
returns public.music_video_panel
language sql
volatile
security invoker
set search_path = ''
as $$
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.submit_music_video(
    id => submit_music_video.id
  )) as p
$$;
revoke all on function public.submit_music_video(text) from public, anon;
grant execute on function public.submit_music_video(text) to authenticated, service_role;

-- set_music_video_platform_targets: the body moves to private (its document), the public function returns the row.
-- The public function of the same signature is created below.
-- squawk-ignore ban-set-schema
alter function public.set_music_video_platform_targets(text, jsonb, public.sync_strategy_enum) set schema private;
create function public.set_music_video_platform_targets(
  music_video_id text,
  targets jsonb,
  sync_strategy public.sync_strategy_enum default null
)
returns public.music_video_panel
language sql
volatile
security invoker
set search_path = ''
as $$
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.set_music_video_platform_targets(
    music_video_id => set_music_video_platform_targets.music_video_id,
    targets => set_music_video_platform_targets.targets,
    sync_strategy => set_music_video_platform_targets.sync_strategy
  )) as p
$$;
revoke all on function public.set_music_video_platform_targets(text, jsonb, public.sync_strategy_enum) from public, anon;
grant execute on function public.set_music_video_platform_targets(text, jsonb, public.sync_strategy_enum) to authenticated, service_role;

-- set_music_video_budget_actuals: the body moves to private (its document), the public function returns the row.
-- The public function of the same signature is created below.
-- squawk-ignore ban-set-schema
alter function public.set_music_video_budget_actuals(text, jsonb) set schema private;
create function public.set_music_video_budget_actuals(
  music_video_id text,
  actuals jsonb
)
returns public.music_video_panel
language sql
volatile
security invoker
set search_path = ''
as $$
  select p.*
  from jsonb_populate_record(null::public.music_video_panel, private.set_music_video_budget_actuals(
    music_video_id => set_music_video_budget_actuals.music_video_id,
    actuals => set_music_video_budget_actuals.actuals
  )) as p
$$;
revoke all on function public.set_music_video_budget_actuals(text, jsonb) from public, anon;
grant execute on function public.set_music_video_budget_actuals(text, jsonb) to authenticated, service_role;

-- The API reference's text (20261201230000's, which moved to the private bodies with them), with
-- the new Returns section.
do $do$
declare
  v_fn record;
  v_doc text;
begin
  for v_fn in
    select x.name, x.returns_md
    from (values
      ('create_music_video', $md$Returns: one `music_video_panel` row (the columns of `get_music_video`'s row, the nested parts as jsonb): status `planned`, `slug` set, `open_problems` empty.$md$),
      ('update_music_video', $md$Returns: one `music_video_panel` row, as `create_music_video` returns it (the columns of `get_music_video`'s row).$md$),
      ('save_music_video_draft', $md$Returns: one `music_video_panel` row, as `create_music_video` returns it (a draft: `open_problems` lists what a submit would refuse).$md$),
      ('submit_music_video', $md$Returns: one `music_video_panel` row, as `create_music_video` returns it (status `planned`, `submitted_at` set).$md$),
      ('set_music_video_platform_targets', $md$Returns: one `music_video_panel` row, as `create_music_video` returns it. `sync_strategy` left out (or null) keeps the video's.$md$),
      ('set_music_video_budget_actuals', $md$Returns: one `music_video_panel` row, as `create_music_video` returns it (`line_items[].actual_amount` and `variance`; `budget_actuals`).$md$)
    ) as x (name, returns_md)
  loop
    select d.description into v_doc
    from pg_catalog.pg_description as d
    inner join pg_catalog.pg_proc as p on d.objoid = p.oid and d.classoid = 'pg_catalog.pg_proc'::regclass
    where p.pronamespace = 'private'::regnamespace and p.proname = v_fn.name
      and d.description like '%Returns:%';
    if v_doc is null then
      raise exception 'no reference comment for %', v_fn.name;
    end if;
    -- the Returns paragraph runs to the blank line before Errors:
    v_doc := regexp_replace(v_doc, 'Returns:.*?\n\nErrors:', v_fn.returns_md || E'\n\nErrors:');
    execute format('comment on function %s is %L',
      (select p.oid::regprocedure from pg_catalog.pg_proc as p
       where p.pronamespace = 'public'::regnamespace and p.proname = v_fn.name), v_doc);
  end loop;
end
$do$;

-- The private bodies' own comment: what they are now.
comment on function private.create_music_video(text, text, text, text, text, public.quality_tier_enum, date, jsonb, text, text, integer, date, date, integer, text, public.platform_enum, public.sync_strategy_enum, boolean, text, text, text, text, jsonb, jsonb) is
'The body of public.create_music_video (20261202020300): answers the plan document, which the public function returns as a music_video_panel row.';
comment on function private.update_music_video(text, jsonb) is
'The body of public.update_music_video (20261202020300): answers the plan document, which the public function returns as a music_video_panel row.';
comment on function private.save_music_video_draft(text, text, text, jsonb, jsonb) is
'The body of public.save_music_video_draft (20261202020300): answers the plan document, which the public function returns as a music_video_panel row.';
comment on function private.submit_music_video(text) is
'The body of public.submit_music_video (20261202020300): answers the plan document, which the public function returns as a music_video_panel row.';
comment on function private.set_music_video_platform_targets(text, jsonb, public.sync_strategy_enum) is
'The body of public.set_music_video_platform_targets (20261202020300): answers the plan document, which the public function returns as a music_video_panel row.';
comment on function private.set_music_video_budget_actuals(text, jsonb) is
'The body of public.set_music_video_budget_actuals (20261202020300): answers the plan document, which the public function returns as a music_video_panel row.';
