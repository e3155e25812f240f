-- DEMO DATA (see 00_users_and_releases.sql). The plans, written the way the app writes them.
--
-- pg_temp.demo_rpc(name, body) calls public.<name> the way PostgREST does for a POST
-- /rest/v1/rpc/<name> with a JSON body: each key becomes the named argument of the type the
-- function declares (jsonb_to_record, which is what PostgREST uses), so numbers and booleans are
-- written here as JSON numbers and booleans, as the frontend sends them, whatever the parameter
-- types are. The caller's role and JWT claims are whatever the transaction has set.
create or replace function pg_temp.demo_rpc(p_name text, p_body jsonb)
returns jsonb
language plpgsql
as $$
declare
  v_proc oid;
  v_cols text;
  v_args text;
  v_result jsonb;
begin
  select p.oid into strict v_proc
  from pg_proc as p
  where p.pronamespace = 'public'::regnamespace and p.proname = p_name;
  select
    string_agg(format('%I %s', a.name, format_type(a.type, null)), ', ' order by a.ord),
    string_agg(format('%1$I => r.%1$I', a.name), ', ' order by a.ord)
  into v_cols, v_args
  from unnest(
    (select p.proargnames from pg_proc as p where p.oid = v_proc),
    (select p.proargtypes::oid[] from pg_proc as p where p.oid = v_proc)
  ) with ordinality as a (name, type, ord)
  where p_body ? a.name;
  execute format('select to_jsonb(public.%I(%s)) from jsonb_to_record($1) as r (%s)', p_name, v_args, v_cols)
  into v_result using p_body;
  return v_result;
end
$$;

-- pg_temp.demo_post(table, rows) is PostgREST's POST /rest/v1/<table> with a JSON array body:
-- only the keys given are written, each converted to its column's type; returns the new ids.
create or replace function pg_temp.demo_post(p_table text, p_rows jsonb)
returns setof uuid
language plpgsql
as $$
declare
  v_cols text;
begin
  select string_agg(distinct format('%I', k), ', ') into v_cols
  from jsonb_array_elements(p_rows) as r (item)
  cross join lateral jsonb_object_keys(r.item) as k;
  return query execute format(
    'insert into public.%1$I (%2$s) select %2$s from jsonb_populate_recordset(null::public.%1$I, $1) returning id',
    p_table, v_cols) using p_rows;
end
$$;

-- pg_temp.demo_post_plan(body) writes a whole plan (the create_music_video body: the video's
-- fields plus line_items, cast_assignments and platform_targets) through the table endpoints,
-- as a PostgREST client would: the video, then its children. Returns the video id.
create or replace function pg_temp.demo_post_plan(p_body jsonb)
returns text
language plpgsql
as $$
declare
  v_id uuid;
  v_child record;
begin
  select pg_temp.demo_post('music_videos', jsonb_build_array(
    p_body - array['line_items', 'cast_assignments', 'platform_targets'])) into strict v_id;
  for v_child in
    select * from (values
      ('music_video_budget_line_items', p_body -> 'line_items'),
      ('music_video_cast_assignments', p_body -> 'cast_assignments'),
      ('music_video_platform_targets', p_body -> 'platform_targets')
    ) as c (tbl, rows_)
    where jsonb_array_length(coalesce(c.rows_, '[]'::jsonb)) > 0
  loop
    perform pg_temp.demo_post(v_child.tbl, (
      select jsonb_agg(r.item || jsonb_build_object('music_video_id', v_id))
      from jsonb_array_elements(v_child.rows_) as r (item)));
  end loop;
  return v_id::text;
end
$$;

-- Every demo video syncs on request only (sync_strategy 'manual'): the nightly scheduler of
-- `./scripts/run` then leaves them alone, so a worker without a YouTube key or chart feeds has
-- nothing of the demo's to fail. Press "Sync Metrics" (request_music_video_metrics_sync) to
-- enqueue a job by hand.

-- Catalog ids by name (the catalogs come from supabase/seed.sql).
create or replace function pg_temp.demo_catalog(p_table text, p_name text)
returns text
language plpgsql
stable
as $$
declare
  v_id text;
begin
  execute format('select id::text from public.%I where name = $1', p_table) into strict v_id using p_name;
  return v_id;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- As the demo user, as PostgREST runs a request with its JWT.
select pg_temp.demo_act_as('authenticated', 'd3e0d3e0-0000-4000-8000-000000000001', 'demo@example.com');

-- The RPC refuses a new plan whose shoot has already started (a plan is made for the future), so
-- the productions that happened before today are written through the table endpoints, which
-- hold the same rules once a video is past draft (judged at commit); the plans still ahead are
-- created through create_music_video.

-- Released a year ago: the single with the year of metrics, chart runs and a TV import.
select set_config('demo.midnight_signal', pg_temp.demo_post_plan(jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a1',
  'title', 'Midnight Signal', 'slug', 'midnight-signal',
  'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Neon Nights'),
  'art_style_id', pg_temp.demo_catalog('music_video_art_styles', 'Cyberpunk Neon'),
  'budget_band_id', pg_temp.demo_catalog('music_video_budgets', 'Standard'),
  'quality_tier', 'standard',
  'narrative_outline', 'A late-night radio host takes one last call; the city answers in neon.',
  'budget_estimate', 80000,
  'target_release_date', current_date - 365,
  'shoot_start_date', current_date - 430, 'shoot_end_date', current_date - 428,
  'kpi_view_target', 5000000, 'kpi_chart_target', 'billboard_hot_100',
  'primary_platform', 'youtube', 'sync_strategy', 'manual', 'promo_only', false,
  'isrc', 'USDM12500001', 'spotify_track_uri', 'spotify:track:6DemoMidnightSignal001',
  'apple_music_id', '1700000001', 'artist_name', 'Luna Vega',
  'line_items', jsonb_build_array(
    jsonb_build_object('category', 'direction', 'amount', 30000, 'notes', 'Director and AD, 2 days'),
    jsonb_build_object('category', 'cinematography', 'amount', 22000),
    jsonb_build_object('category', 'post', 'amount', 18000, 'notes', 'Edit, grade, neon VFX cleanup'),
    jsonb_build_object('category', 'marketing', 'amount', 10000)
  ),
  'cast_assignments', jsonb_build_array(
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Studio Ritmo Dancers (8)'),
      'cost_estimate', 9000, 'confirmed', true
    ),
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Northlight Colour'),
      'cost_estimate', 4000, 'confirmed', true
    )
  ),
  'platform_targets', jsonb_build_array(
    jsonb_build_object(
      'platform', 'youtube', 'priority', 1, 'auto_sync', true,
      'launch_url', 'https://www.youtube.com/watch?v=DemoMidnt01', 'external_id', 'DemoMidnt01'
    ),
    jsonb_build_object('platform', 'mtv', 'priority', 2, 'auto_sync', false),
    jsonb_build_object('platform', 'tiktok', 'priority', 3, 'auto_sync', false)
  )
)), true);

-- Released, then archived a month ago (a lyric video that ran its course).
select set_config('demo.paper_planes', pg_temp.demo_post_plan(jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a1',
  'title', 'Paper Planes (Lyric Video)', 'slug', 'paper-planes-lyric-video',
  'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Lyric Visualizer'),
  'art_style_id', pg_temp.demo_catalog('music_video_art_styles', 'Hand-Drawn Animation'),
  'budget_band_id', pg_temp.demo_catalog('music_video_budgets', 'Indie'),
  'quality_tier', 'indie',
  'target_release_date', current_date - 300,
  'shoot_start_date', current_date - 330, 'shoot_end_date', current_date - 330,
  'kpi_view_target', 250000, 'primary_platform', 'youtube', 'sync_strategy', 'manual',
  'artist_name', 'Luna Vega',
  'line_items', jsonb_build_array(
    jsonb_build_object('category', 'direction', 'amount', 6000),
    jsonb_build_object('category', 'post', 'amount', 8000, 'notes', 'Hand-drawn typography, 3 weeks')
  ),
  'cast_assignments', jsonb_build_array(
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Sam Okafor'),
      'cost_estimate', 2000, 'confirmed', true
    )
  ),
  'platform_targets', jsonb_build_array(
    jsonb_build_object(
      'platform', 'youtube', 'priority', 1, 'auto_sync', false,
      'launch_url', 'https://youtu.be/DemoPaper01', 'external_id', 'DemoPaper01'
    )
  )
)), true);

-- In post-production: shot three weeks ago, releasing in a month.
select set_config('demo.glass_city', pg_temp.demo_post_plan(jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a1',
  'title', 'Glass City', 'slug', 'glass-city',
  'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Urban Storytelling'),
  'art_style_id', pg_temp.demo_catalog('music_video_art_styles', 'High-Contrast Monochrome'),
  'budget_band_id', pg_temp.demo_catalog('music_video_budgets', 'Premium'),
  'quality_tier', 'premium',
  'narrative_outline', 'Two strangers cross the same glass footbridge every morning for a year.',
  'budget_estimate', 180000,
  'target_release_date', current_date + 30,
  'shoot_start_date', current_date - 20, 'shoot_end_date', current_date - 18,
  'kpi_view_target', 2000000, 'kpi_chart_target', 'billboard_global_200',
  'primary_platform', 'youtube', 'sync_strategy', 'manual', 'artist_name', 'Luna Vega',
  'isrc', 'USDM12500002',
  'line_items', jsonb_build_array(
    jsonb_build_object('category', 'direction', 'amount', 60000),
    jsonb_build_object('category', 'cinematography', 'amount', 50000),
    jsonb_build_object('category', 'post', 'amount', 40000),
    jsonb_build_object('category', 'marketing', 'amount', 30000)
  ),
  'cast_assignments', jsonb_build_array(
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Priya Nair'),
      'cost_estimate', 25000, 'confirmed', true, 'notes', 'Lead; two shoot days'
    )
  ),
  'platform_targets', jsonb_build_array(
    jsonb_build_object('platform', 'youtube', 'priority', 1, 'auto_sync', true),
    jsonb_build_object('platform', 'vevo', 'priority', 2, 'auto_sync', false)
  )
)), true);

-- Shooting now.
select set_config('demo.afterglow', pg_temp.demo_post_plan(jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a1',
  'title', 'Afterglow', 'slug', 'afterglow',
  'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Dreamscape'),
  'art_style_id', pg_temp.demo_catalog('music_video_art_styles', 'Pastel Pop'),
  'budget_band_id', pg_temp.demo_catalog('music_video_budgets', 'Standard'),
  'quality_tier', 'standard',
  'narrative_outline', 'Slow-motion beach at dusk; practical smoke and mirrors.',
  'budget_estimate', 80000,
  'target_release_date', current_date + 60,
  'shoot_start_date', current_date - 1, 'shoot_end_date', current_date + 2,
  'kpi_view_target', 1000000, 'primary_platform', 'youtube', 'sync_strategy', 'manual',
  'artist_name', 'Luna Vega',
  'line_items', jsonb_build_array(
    jsonb_build_object('category', 'direction', 'amount', 35000),
    jsonb_build_object('category', 'cinematography', 'amount', 25000),
    jsonb_build_object('category', 'post', 'amount', 20000)
  ),
  'cast_assignments', jsonb_build_array(
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Studio Ritmo Dancers (8)'),
      'cost_estimate', 10000, 'confirmed', true
    ),
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Sam Okafor'),
      'cost_estimate', 6000, 'confirmed', true
    )
  ),
  'platform_targets', jsonb_build_array(
    jsonb_build_object('platform', 'youtube', 'priority', 1, 'auto_sync', true),
    jsonb_build_object('platform', 'instagram', 'priority', 2, 'auto_sync', false)
  )
)), true);

-- Planned: shoot in six weeks. create_music_video validates the whole plan and submits it.
select set_config('demo.wildfire', pg_temp.demo_rpc('create_music_video', jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a1',
  'title', 'Wildfire', 'slug', 'wildfire',
  'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Road Trip Americana'),
  'art_style_id', pg_temp.demo_catalog('music_video_art_styles', 'Vintage Film'),
  'budget_band_id', pg_temp.demo_catalog('music_video_budgets', 'Standard'),
  'quality_tier', 'standard',
  'narrative_outline', 'A convertible, a desert highway and a storm on the horizon.',
  'budget_estimate', 90000,
  'target_release_date', current_date + 120,
  'shoot_start_date', current_date + 40, 'shoot_end_date', current_date + 42,
  'kpi_view_target', 3000000, 'kpi_chart_target', 'spotify_global_weekly',
  'primary_platform', 'youtube', 'sync_strategy', 'manual', 'artist_name', 'Luna Vega',
  'line_items', jsonb_build_array(
    jsonb_build_object('category', 'direction', 'amount', 30000),
    jsonb_build_object('category', 'cinematography', 'amount', 25000),
    jsonb_build_object('category', 'post', 'amount', 15000),
    jsonb_build_object('category', 'marketing', 'amount', 20000)
  ),
  'cast_assignments', jsonb_build_array(
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Priya Nair'),
      'cost_estimate', 20000, 'confirmed', false, 'notes', 'Hold confirmed by agent, contract pending'
    ),
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Guest cameo (label roster)'),
      'cost_estimate', 3000, 'confirmed', false
    )
  ),
  'platform_targets', jsonb_build_array(
    jsonb_build_object('platform', 'youtube', 'priority', 1, 'auto_sync', true),
    jsonb_build_object('platform', 'tiktok', 'priority', 2, 'auto_sync', false)
  )
)) ->> 'id', true);

-- A draft left in the wizard (the board offers to resume it).
select set_config('demo.untitled_ballad', pg_temp.demo_rpc('save_music_video_draft', jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a1',
  'wizard_step', 'budget',
  'wizard_state', jsonb_build_object(
    'step', 2, 'visited', jsonb_build_array('concept', 'budget'),
    'notes', 'Piano-only version; ask about the Indie band'
  ),
  'patch', jsonb_build_object(
    'title', 'Untitled Ballad',
    'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Concert Documentary')
  )
)) ->> 'id', true);

-- Released a year ago: the second release, a single with its one video.
select set_config('demo.coastline', pg_temp.demo_post_plan(jsonb_build_object(
  'release_id', 'd3e0d3e0-0000-4000-8000-0000000000a2',
  'title', 'Coastline', 'slug', 'coastline',
  'video_theme_id', pg_temp.demo_catalog('music_video_themes', 'Road Trip Americana'),
  'art_style_id', pg_temp.demo_catalog('music_video_art_styles', 'Vintage Film'),
  'budget_band_id', pg_temp.demo_catalog('music_video_budgets', 'Standard'),
  'quality_tier', 'standard',
  'budget_estimate', 30000,
  'target_release_date', current_date - 365,
  'shoot_start_date', current_date - 400, 'shoot_end_date', current_date - 399,
  'kpi_view_target', 1500000, 'kpi_chart_target', 'spotify_global_weekly',
  'primary_platform', 'youtube', 'sync_strategy', 'manual',
  'isrc', 'USDM12500003', 'spotify_track_uri', 'spotify:track:6DemoCoastlineTrack001',
  'apple_music_id', '1700000003', 'artist_name', 'Luna Vega',
  'line_items', jsonb_build_array(
    jsonb_build_object('category', 'direction', 'amount', 15000),
    jsonb_build_object('category', 'cinematography', 'amount', 10000),
    jsonb_build_object('category', 'post', 'amount', 5000)
  ),
  'cast_assignments', jsonb_build_array(
    jsonb_build_object(
      'cast_option_id', pg_temp.demo_catalog('music_video_cast_options', 'Northlight Colour'),
      'cost_estimate', 3000, 'confirmed', true
    )
  ),
  'platform_targets', jsonb_build_array(
    jsonb_build_object(
      'platform', 'youtube', 'priority', 1, 'auto_sync', true,
      'launch_url', 'https://www.youtube.com/watch?v=DemoCoast01', 'external_id', 'DemoCoast01'
    ),
    jsonb_build_object('platform', 'tiktok', 'priority', 2, 'auto_sync', false)
  )
)), true);

select pg_temp.demo_act_as('owner');
