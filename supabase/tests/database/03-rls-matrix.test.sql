-- The RLS matrix: every table of the feature, as the release owner, another user, an admin,
-- anon and the service role, for select, insert, update and delete. Each statement runs in its
-- own PostgREST-like request (role + request.jwt.claims) and is rolled back afterwards.
-- 'ok:N' = allowed and touched N rows; 'ok:0' = RLS hid the rows; 'denied' = refused.
begin;
\ir 00-helpers.sql

-- free one tier so an admin can insert it
delete from public.music_video_quality_tiers where tier = 'cinematic';

create temp table actors (actor text, role text, claims jsonb);
insert into actors values
  ('owner', 'authenticated', tests.claims('00000000-0000-4000-8000-00000000000a')),
  ('other', 'authenticated', tests.claims('00000000-0000-4000-8000-00000000000b')),
  ('admin', 'authenticated', tests.claims('00000000-0000-4000-8000-00000000000c', true)),
  ('anon', 'anon', '{"role": "anon"}'),
  ('service_role', 'service_role', '{"role": "service_role"}');

-- What each kind of table allows, per command and actor.
create temp table rules (kind text, op text, actor text, expected text);
insert into rules
select kind, op, actor, expected
from (values
  -- a video and the rows under it: owners only
  ('video', 'select', '{ok:1,ok:0,ok:0,denied,ok:1}'),
  ('video', 'insert', '{ok:1,denied,denied,denied,ok:1}'),
  ('video', 'update', '{ok:1,ok:0,ok:0,denied,ok:1}'),
  ('video', 'delete', '{ok:1,ok:0,ok:0,denied,ok:1}'),
  -- a shot's cast rows: like the video's rows, but changed by delete and insert only (no update)
  ('shotcast', 'select', '{ok:1,ok:0,ok:0,denied,ok:1}'),
  ('shotcast', 'insert', '{ok:1,denied,denied,denied,ok:1}'),
  ('shotcast', 'update', '{denied,denied,denied,denied,ok:1}'),
  ('shotcast', 'delete', '{ok:1,ok:0,ok:0,denied,ok:1}'),
  -- status history: owners read; only the trigger (and the service role) writes
  ('history', 'select', '{ok:1,ok:0,ok:0,denied,ok:1}'),
  ('history', 'insert', '{denied,denied,denied,denied,ok:1}'),
  ('history', 'update', '{denied,denied,denied,denied,ok:1}'),
  ('history', 'delete', '{denied,denied,denied,denied,ok:1}'),
  -- metrics and imports: owners and admins read; admins and the service role write
  ('metrics', 'select', '{ok:1,ok:0,ok:1,denied,ok:1}'),
  ('metrics', 'insert', '{denied,denied,ok:1,denied,ok:1}'),
  ('metrics', 'update', '{ok:0,ok:0,ok:1,denied,ok:1}'),
  ('metrics', 'delete', '{ok:0,ok:0,ok:1,denied,ok:1}'),
  -- catalogs: every signed-in user reads; admins write
  ('catalog', 'select', '{ok:1,ok:1,ok:1,denied,ok:1}'),
  ('catalog', 'insert', '{denied,denied,ok:1,denied,ok:1}'),
  ('catalog', 'update', '{ok:0,ok:0,ok:1,denied,ok:1}'),
  ('catalog', 'delete', '{ok:0,ok:0,ok:1,denied,ok:1}'),
  -- audit-like rows (analytics events, CSV row errors, metric overrides, alerts): owners and admins
  -- read; only the service role (and security definer RPCs) write
  ('events', 'select', '{ok:1,ok:0,ok:1,denied,ok:1}'),
  ('events', 'insert', '{denied,denied,denied,denied,ok:1}'),
  ('events', 'update', '{denied,denied,denied,denied,ok:1}'),
  ('events', 'delete', '{denied,denied,denied,denied,ok:1}'),
  -- the budget variance view follows the caller's RLS
  ('view', 'select', '{ok:1,ok:0,ok:0,denied,ok:1}')
) as r (kind, op, outcomes)
cross join lateral unnest(outcomes::text[], array['owner', 'other', 'admin', 'anon', 'service_role'])
  as u (expected, actor);

create temp table cases (tbl text, kind text, op text, stmt text);
insert into cases values
  ('music_videos', 'video', 'select', $q$select 1 from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  ('music_videos', 'video', 'insert', $q$insert into public.music_videos (release_id, title) values ('00000000-0000-4000-8000-0000000000a1', 'New')$q$),
  ('music_videos', 'video', 'update', $q$update public.music_videos set narrative_outline = 'x' where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  ('music_videos', 'video', 'delete', $q$delete from public.music_videos where id = '00000000-0000-4000-8000-0000000000f1'$q$),
  ('music_video_budget_line_items', 'video', 'select', $q$select 1 from public.music_video_budget_line_items where id = '00000000-0000-4000-8000-000000000101'$q$),
  ('music_video_budget_line_items', 'video', 'insert', $q$insert into public.music_video_budget_line_items (music_video_id, category, amount) values ('00000000-0000-4000-8000-0000000000f1', 'marketing', 10)$q$),
  ('music_video_budget_line_items', 'video', 'update', $q$update public.music_video_budget_line_items set amount = 2000 where id = '00000000-0000-4000-8000-000000000101'$q$),
  ('music_video_budget_line_items', 'video', 'delete', $q$delete from public.music_video_budget_line_items where id = '00000000-0000-4000-8000-000000000101'$q$),
  ('music_video_cast_assignments', 'video', 'select', $q$select 1 from public.music_video_cast_assignments where id = '00000000-0000-4000-8000-000000000102'$q$),
  ('music_video_cast_assignments', 'video', 'insert', $q$insert into public.music_video_cast_assignments (music_video_id, cast_option_id) values ('00000000-0000-4000-8000-0000000000f1', (select o.id from public.music_video_cast_options as o where o.name = 'Priya Nair'))$q$),
  ('music_video_cast_assignments', 'video', 'update', $q$update public.music_video_cast_assignments set confirmed = true where id = '00000000-0000-4000-8000-000000000102'$q$),
  ('music_video_cast_assignments', 'video', 'delete', $q$delete from public.music_video_cast_assignments where id = '00000000-0000-4000-8000-000000000102'$q$),
  ('music_video_platform_targets', 'video', 'select', $q$select 1 from public.music_video_platform_targets where id = '00000000-0000-4000-8000-000000000103'$q$),
  ('music_video_platform_targets', 'video', 'insert', $q$insert into public.music_video_platform_targets (music_video_id, platform) values ('00000000-0000-4000-8000-0000000000f1', 'tiktok')$q$),
  ('music_video_platform_targets', 'video', 'update', $q$update public.music_video_platform_targets set priority = 2 where id = '00000000-0000-4000-8000-000000000103'$q$),
  ('music_video_platform_targets', 'video', 'delete', $q$delete from public.music_video_platform_targets where id = '00000000-0000-4000-8000-000000000103'$q$),
  ('music_video_shots', 'video', 'select', $q$select 1 from public.music_video_shots where id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_shots', 'video', 'insert', $q$insert into public.music_video_shots (music_video_id, shot_number, description) values ('00000000-0000-4000-8000-0000000000f1', 3, 'third')$q$),
  ('music_video_shots', 'video', 'update', $q$update public.music_video_shots set lens = '35mm' where id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_shots', 'video', 'delete', $q$delete from public.music_video_shots where id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_shot_cast', 'shotcast', 'select', $q$select 1 from public.music_video_shot_cast where shot_id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_shot_cast', 'shotcast', 'insert', $q$insert into public.music_video_shot_cast (shot_id, cast_assignment_id, music_video_id) values ('00000000-0000-4000-8000-000000000111', '00000000-0000-4000-8000-000000000102', '00000000-0000-4000-8000-0000000000f1')$q$),
  ('music_video_shot_cast', 'shotcast', 'update', $q$update public.music_video_shot_cast set created_at = now() where shot_id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_shot_cast', 'shotcast', 'delete', $q$delete from public.music_video_shot_cast where shot_id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_moodboards', 'video', 'select', $q$select 1 from public.music_video_moodboards where id = '00000000-0000-4000-8000-000000000104'$q$),
  ('music_video_moodboards', 'video', 'insert', $q$insert into public.music_video_moodboards (music_video_id, storage_path) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1/00000000-0000-4000-8000-0000000000f1/second.png')$q$),
  ('music_video_moodboards', 'video', 'update', $q$update public.music_video_moodboards set caption = 'c' where id = '00000000-0000-4000-8000-000000000104'$q$),
  ('music_video_moodboards', 'video', 'delete', $q$delete from public.music_video_moodboards where id = '00000000-0000-4000-8000-000000000104'$q$),
  ('music_video_status_history', 'history', 'select', $q$select 1 from public.music_video_status_history where music_video_id = '00000000-0000-4000-8000-0000000000f1'$q$),
  ('music_video_status_history', 'history', 'insert', $q$insert into public.music_video_status_history (music_video_id, to_status) values ('00000000-0000-4000-8000-0000000000f1', 'released')$q$),
  ('music_video_status_history', 'history', 'update', $q$update public.music_video_status_history set to_status = 'released' where music_video_id = '00000000-0000-4000-8000-0000000000f1'$q$),
  ('music_video_status_history', 'history', 'delete', $q$delete from public.music_video_status_history where music_video_id = '00000000-0000-4000-8000-0000000000f1'$q$),
  ('music_video_metrics', 'metrics', 'select', $q$select 1 from public.music_video_metrics where id = '00000000-0000-4000-8000-000000000106'$q$),
  ('music_video_metrics', 'metrics', 'insert', $q$insert into public.music_video_metrics (music_video_id, platform, views_total, collected_at) values ('00000000-0000-4000-8000-0000000000f1', 'youtube', 5, '2026-11-02T00:00:00Z')$q$),
  ('music_video_metrics', 'metrics', 'update', $q$update public.music_video_metrics set views_total = 11 where id = '00000000-0000-4000-8000-000000000106'$q$),
  ('music_video_metrics', 'metrics', 'delete', $q$delete from public.music_video_metrics where id = '00000000-0000-4000-8000-000000000106'$q$),
  ('music_video_chart_positions', 'metrics', 'select', $q$select 1 from public.music_video_chart_positions where id = '00000000-0000-4000-8000-00000000010a'$q$),
  ('music_video_chart_positions', 'metrics', 'insert', $q$insert into public.music_video_chart_positions (music_video_id, chart, week_start, chart_rank) values ('00000000-0000-4000-8000-0000000000f1', 'spotify_global_weekly', '2026-10-26', 3)$q$),
  ('music_video_chart_positions', 'metrics', 'update', $q$update public.music_video_chart_positions set chart_rank = 41 where id = '00000000-0000-4000-8000-00000000010a'$q$),
  ('music_video_chart_positions', 'metrics', 'delete', $q$delete from public.music_video_chart_positions where id = '00000000-0000-4000-8000-00000000010a'$q$),
  ('music_video_metric_imports', 'metrics', 'select', $q$select 1 from public.music_video_metric_imports where id = '00000000-0000-4000-8000-000000000105'$q$),
  ('music_video_metric_imports', 'metrics', 'insert', $q$insert into public.music_video_metric_imports (music_video_id, platform, source) values ('00000000-0000-4000-8000-0000000000f1', 'other', 'charts')$q$),
  ('music_video_metric_imports', 'metrics', 'update', $q$update public.music_video_metric_imports set error_message = 'x' where id = '00000000-0000-4000-8000-000000000105'$q$),
  ('music_video_metric_imports', 'metrics', 'delete', $q$delete from public.music_video_metric_imports where id = '00000000-0000-4000-8000-000000000105'$q$),
  ('music_video_themes', 'catalog', 'select', $q$select 1 from public.music_video_themes where name = 'Neon Nights'$q$),
  ('music_video_themes', 'catalog', 'insert', $q$insert into public.music_video_themes (name) values ('Test theme')$q$),
  ('music_video_themes', 'catalog', 'update', $q$update public.music_video_themes set description = 'x' where name = 'Neon Nights'$q$),
  ('music_video_themes', 'catalog', 'delete', $q$delete from public.music_video_themes where name = 'Dreamscape'$q$),
  ('music_video_art_styles', 'catalog', 'select', $q$select 1 from public.music_video_art_styles where name = 'Vintage Film'$q$),
  ('music_video_art_styles', 'catalog', 'insert', $q$insert into public.music_video_art_styles (name) values ('Test style')$q$),
  ('music_video_art_styles', 'catalog', 'update', $q$update public.music_video_art_styles set lighting_profile = 'x' where name = 'Vintage Film'$q$),
  ('music_video_art_styles', 'catalog', 'delete', $q$delete from public.music_video_art_styles where name = 'Hand-Drawn Animation'$q$),
  ('music_video_quality_tiers', 'catalog', 'select', $q$select 1 from public.music_video_quality_tiers where tier = 'indie'$q$),
  ('music_video_quality_tiers', 'catalog', 'insert', $q$insert into public.music_video_quality_tiers (tier) values ('cinematic')$q$),
  ('music_video_quality_tiers', 'catalog', 'update', $q$update public.music_video_quality_tiers set crew_size_hint = 5 where tier = 'indie'$q$),
  ('music_video_quality_tiers', 'catalog', 'delete', $q$delete from public.music_video_quality_tiers where tier = 'premium'$q$),
  ('music_video_budgets', 'catalog', 'select', $q$select 1 from public.music_video_budgets where name = 'Standard'$q$),
  ('music_video_budgets', 'catalog', 'insert', $q$insert into public.music_video_budgets (name, min_cost, max_cost) values ('Test band', 1, 2)$q$),
  ('music_video_budgets', 'catalog', 'update', $q$update public.music_video_budgets set max_cost = 120000 where name = 'Standard'$q$),
  ('music_video_budgets', 'catalog', 'delete', $q$delete from public.music_video_budgets where name = 'Micro'$q$),
  ('music_video_cast_options', 'catalog', 'select', $q$select 1 from public.music_video_cast_options where name = 'Maya Chen'$q$),
  ('music_video_cast_options', 'catalog', 'insert', $q$insert into public.music_video_cast_options (name, role) values ('Test', 'grip')$q$),
  ('music_video_cast_options', 'catalog', 'update', $q$update public.music_video_cast_options set cost_multiplier = 2 where name = 'Maya Chen'$q$),
  ('music_video_cast_options', 'catalog', 'delete', $q$delete from public.music_video_cast_options where name = 'Guest cameo (label roster)'$q$),
  ('music_video_chart_sources', 'catalog', 'select', $q$select 1 from public.music_video_chart_sources where id = 'billboard_hot_100'$q$),
  ('music_video_chart_sources', 'catalog', 'insert', $q$insert into public.music_video_chart_sources (id, label, provider) values ('test_chart', 'Test', 'test')$q$),
  ('music_video_chart_sources', 'catalog', 'update', $q$update public.music_video_chart_sources set label = 'x' where id = 'billboard_hot_100'$q$),
  ('music_video_chart_sources', 'catalog', 'delete', $q$delete from public.music_video_chart_sources where id = 'apple_music_top_100'$q$),
  ('music_video_settings', 'catalog', 'select', $q$select 1 from public.music_video_settings where key = 'budget_contingency_pct'$q$),
  ('music_video_settings', 'catalog', 'insert', $q$insert into public.music_video_settings (key, value) values ('test_key', '1')$q$),
  ('music_video_settings', 'catalog', 'update', $q$update public.music_video_settings set value = '7' where key = 'budget_contingency_pct'$q$),
  ('music_video_settings', 'catalog', 'delete', $q$delete from public.music_video_settings where key = 'budget_contingency_pct'$q$),
  ('music_video_milestones', 'video', 'select', $q$select 1 from public.music_video_milestones where id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_milestones', 'video', 'insert', $q$insert into public.music_video_milestones (music_video_id, kind, label, due_date) values ('00000000-0000-4000-8000-0000000000f1', 'custom', 'Matrix', '2027-01-01')$q$),
  ('music_video_milestones', 'video', 'update', $q$update public.music_video_milestones set due_date = '2027-02-21' where id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_milestones', 'video', 'delete', $q$delete from public.music_video_milestones where id = '00000000-0000-4000-8000-000000000110'$q$),
  ('music_video_promo_events', 'video', 'select', $q$select 1 from public.music_video_promo_events where id = '00000000-0000-4000-8000-000000000111'$q$),
  ('music_video_promo_events', 'video', 'insert', $q$insert into public.music_video_promo_events (music_video_id, platform, kind, starts_at, time_zone) values ('00000000-0000-4000-8000-0000000000f1', 'tiktok', 'teaser', '2027-01-01', 'UTC')$q$),
  ('music_video_promo_events', 'video', 'update', $q$update public.music_video_promo_events set notes = 'n' where id = '00000000-0000-4000-8000-000000000111'$q$),
  ('music_video_promo_events', 'video', 'delete', $q$delete from public.music_video_promo_events where id = '00000000-0000-4000-8000-000000000111'$q$),
  ('music_video_events', 'events', 'select', $q$select 1 from public.music_video_events where id = '00000000-0000-4000-8000-000000000107'$q$),
  ('music_video_events', 'events', 'insert', $q$insert into public.music_video_events (event, music_video_id) values ('music_video.test_event', '00000000-0000-4000-8000-0000000000f1')$q$),
  ('music_video_events', 'events', 'update', $q$update public.music_video_events set payload = '{}' where id = '00000000-0000-4000-8000-000000000107'$q$),
  ('music_video_events', 'events', 'delete', $q$delete from public.music_video_events where id = '00000000-0000-4000-8000-000000000107'$q$),
  ('music_video_import_row_errors', 'events', 'select', $q$select 1 from public.music_video_import_row_errors where import_id = '00000000-0000-4000-8000-000000000105'$q$),
  ('music_video_import_row_errors', 'events', 'insert', $q$insert into public.music_video_import_row_errors (import_id, music_video_id, line, reason) values ('00000000-0000-4000-8000-000000000105', '00000000-0000-4000-8000-0000000000f1', 9, 'x')$q$),
  ('music_video_import_row_errors', 'events', 'update', $q$update public.music_video_import_row_errors set reason = 'y' where import_id = '00000000-0000-4000-8000-000000000105'$q$),
  ('music_video_import_row_errors', 'events', 'delete', $q$delete from public.music_video_import_row_errors where import_id = '00000000-0000-4000-8000-000000000105'$q$),
  ('music_video_metric_overrides', 'events', 'select', $q$select 1 from public.music_video_metric_overrides where id = '00000000-0000-4000-8000-000000000108'$q$),
  ('music_video_metric_overrides', 'events', 'insert', $q$insert into public.music_video_metric_overrides (metric_id, music_video_id, previous, new, reason) values ('00000000-0000-4000-8000-000000000106', '00000000-0000-4000-8000-0000000000f1', '{}', '{}', 'r')$q$),
  ('music_video_metric_overrides', 'events', 'update', $q$update public.music_video_metric_overrides set reason = 'changed' where id = '00000000-0000-4000-8000-000000000108'$q$),
  ('music_video_metric_overrides', 'events', 'delete', $q$delete from public.music_video_metric_overrides where id = '00000000-0000-4000-8000-000000000108'$q$),
  ('music_video_alerts', 'events', 'select', $q$select 1 from public.music_video_alerts where id = '00000000-0000-4000-8000-000000000109'$q$),
  ('music_video_alerts', 'events', 'insert', $q$insert into public.music_video_alerts (music_video_id, release_id, kind, title, link_path, occurred_at, dedupe_key) values ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000a1', 'chart_entry', 't', '/x', now(), 'matrix:insert')$q$),
  ('music_video_alerts', 'events', 'update', $q$update public.music_video_alerts set read_at = now() where id = '00000000-0000-4000-8000-000000000109'$q$),
  ('music_video_alerts', 'events', 'delete', $q$delete from public.music_video_alerts where id = '00000000-0000-4000-8000-000000000109'$q$),
  ('music_video_budget_variance', 'view', 'select', $q$select 1 from public.music_video_budget_variance where music_video_id = '00000000-0000-4000-8000-0000000000f1'$q$);

select plan((select count(*)::int from cases join rules using (kind, op)) + 1);

-- Every table of the feature is in the matrix (a new table must be added here).
select set_eq(
  $$select distinct tbl from cases where kind <> 'view'$$,
  $$select c.relname::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname like 'music\_video%'$$,
  'the matrix covers every music_video table'
);

select is(
  tests.try_as(a.role, a.claims, c.stmt),
  r.expected,
  format('%s: %s on %s', a.actor, c.op, c.tbl)
)
from cases as c
join rules as r using (kind, op)
join actors as a using (actor)
order by c.tbl, c.op, a.actor;

select * from finish();
rollback;
