-- The data model of spec section 2: enums, tables, the columns the spec and the rest of the
-- spec need, keys, defaults, constraints and indexes.
begin;
select plan(44);

-- Enums, with exactly the spec's labels in order.
select enum_has_labels('public', 'video_status_enum',
  array['draft', 'planned', 'in_production', 'post_production', 'released', 'archived']);
select enum_has_labels('public', 'quality_tier_enum', array['indie', 'standard', 'premium', 'cinematic']);
select enum_has_labels('public', 'platform_enum',
  array['youtube', 'mtv', 'vevo', 'tiktok', 'instagram', 'regional_tv', 'other']);
select enum_has_labels('public', 'sync_strategy_enum', array['manual', 'scheduled', 'webhook']);
select enum_has_labels('public', 'import_status_enum',
  array['pending', 'processing', 'succeeded', 'failed', 'partially_failed']);

-- The eleven tables of the spec.
select has_table('public', t, t) from unnest(array[
  'music_videos', 'music_video_themes', 'music_video_art_styles', 'music_video_budgets',
  'music_video_quality_tiers', 'music_video_cast_options', 'music_video_cast_assignments',
  'music_video_platform_targets', 'music_video_metrics', 'music_video_metric_imports',
  'music_video_moodboards'
]) as t;

-- Every column the spec lists, with its type.
create temp table spec_columns (tbl text, col text, typ text);
insert into spec_columns values
     ('music_videos', 'id', 'uuid'), ('music_videos', 'release_id', 'uuid'), ('music_videos', 'title', 'text'),
     ('music_videos', 'slug', 'text'), ('music_videos', 'status', 'video_status_enum'),
     ('music_videos', 'budget_estimate', 'integer'), ('music_videos', 'quality_tier', 'quality_tier_enum'),
     ('music_videos', 'target_release_date', 'date'), ('music_videos', 'shoot_start_date', 'date'),
     ('music_videos', 'shoot_end_date', 'date'), ('music_videos', 'kpi_view_target', 'integer'),
     ('music_videos', 'kpi_chart_target', 'text'), ('music_videos', 'primary_platform', 'platform_enum'),
     ('music_videos', 'sync_strategy', 'sync_strategy_enum'),
     ('music_videos', 'created_at', 'timestamp with time zone'),
     ('music_videos', 'updated_at', 'timestamp with time zone'),
     ('music_video_themes', 'visual_motifs', 'jsonb'), ('music_video_themes', 'genre_tags', 'text[]'),
     ('music_video_art_styles', 'color_palette', 'jsonb'), ('music_video_art_styles', 'moodboard_url', 'text'),
     ('music_video_budgets', 'min_cost', 'integer'), ('music_video_budgets', 'max_cost', 'integer'),
     ('music_video_budgets', 'default_quality_tier', 'quality_tier_enum'),
     ('music_video_budgets', 'currency_code', 'character(3)'),
     ('music_video_quality_tiers', 'tier', 'quality_tier_enum'),
     ('music_video_quality_tiers', 'expected_turnaround', 'interval'),
     ('music_video_quality_tiers', 'crew_size_hint', 'integer'),
     ('music_video_cast_options', 'cost_multiplier', 'numeric'),
     ('music_video_cast_options', 'availability', 'jsonb'),
     ('music_video_cast_options', 'requires_union', 'boolean'),
     ('music_video_cast_assignments', 'cast_option_id', 'uuid'),
     ('music_video_cast_assignments', 'role_override', 'text'),
     ('music_video_cast_assignments', 'cost_estimate', 'integer'),
     ('music_video_cast_assignments', 'confirmed', 'boolean'),
     ('music_video_platform_targets', 'platform', 'platform_enum'),
     ('music_video_platform_targets', 'auto_sync', 'boolean'),
     ('music_video_platform_targets', 'priority', 'integer'),
     ('music_video_platform_targets', 'launch_url', 'text'),
     ('music_video_metrics', 'views_total', 'bigint'), ('music_video_metrics', 'likes_total', 'bigint'),
     ('music_video_metrics', 'shares_total', 'bigint'), ('music_video_metrics', 'chart_position', 'integer'),
     ('music_video_metrics', 'source', 'text'),
     ('music_video_metrics', 'collected_at', 'timestamp with time zone'),
     ('music_video_metrics', 'synced_at', 'timestamp with time zone'),
     ('music_video_metrics', 'external_reference', 'text'),
     ('music_video_metrics', 'import_batch_id', 'uuid'),
     ('music_video_metrics', 'deleted_at', 'timestamp with time zone'),
     ('music_video_metric_imports', 'status', 'import_status_enum'),
     ('music_video_metric_imports', 'error_message', 'text'),
     ('music_video_metric_imports', 'triggered_by', 'uuid'),
     ('music_video_metric_imports', 'metadata', 'jsonb'),
     ('music_video_metric_imports', 'started_at', 'timestamp with time zone'),
     ('music_video_metric_imports', 'completed_at', 'timestamp with time zone'),
     ('music_video_moodboards', 'storage_path', 'text'), ('music_video_moodboards', 'caption', 'text');
select is_empty(
  $$select s.tbl || '.' || s.col || ' ' || s.typ || ' (found: ' || coalesce(
      (select format_type(a.atttypid, a.atttypmod) from pg_attribute as a
       where a.attrelid = to_regclass('public.' || s.tbl) and a.attname = s.col and not a.attisdropped),
      'missing') || ')'
    from spec_columns as s
    where s.typ is distinct from (
      select format_type(a.atttypid, a.atttypmod) from pg_attribute as a
      where a.attrelid = to_regclass('public.' || s.tbl) and a.attname = s.col and not a.attisdropped)$$,
  'every spec column exists with the spec''s type'
);

-- Columns the rest of the spec needs.
select has_column('public', 'music_videos', c, 'music_videos.' || c) from unnest(array[
  'promo_only', 'video_theme_id', 'art_style_id', 'budget_band_id', 'narrative_outline',
  'wizard_state', 'wizard_step', 'submitted_at'
]) as c;
select has_table('public', 'music_video_budget_line_items', 'line-item allocations are stored');
select has_column('public', 'music_video_metric_imports', c, 'queue column ' || c) from unnest(array[
  'attempts', 'max_attempts', 'run_after', 'locked_by', 'locked_until', 'heartbeat_at', 'dedupe_key', 'source'
]) as c;

-- Keys and defaults.
select is_empty(
  $$select c.relname::text from pg_class as c
    join pg_namespace as n on n.oid = c.relnamespace
    join pg_attribute as a on a.attrelid = c.oid and a.attname = 'id'
    where n.nspname = 'public' and c.relkind = 'r' and c.relname like 'music\_video%'
      and a.atttypid = 'uuid'::regtype
      and not exists (
        select 1 from pg_attrdef as d
        join pg_depend as dep on dep.classid = 'pg_attrdef'::regclass and dep.objid = d.oid
        where d.adrelid = c.oid and d.adnum = a.attnum
          and dep.refobjid = 'extensions.uuid_generate_v4()'::regprocedure
      )$$,
  'every uuid id defaults to extensions.uuid_generate_v4()'
);
select is_empty(
  $$select c.relname || '.' || a.attname
    from pg_attribute as a
    join pg_class as c on c.oid = a.attrelid
    join pg_namespace as n on n.oid = c.relnamespace
    left join pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname = 'public' and c.relkind = 'r' and c.relname like 'music\_video%'
      and a.attname in ('created_at', 'updated_at')
      and coalesce(pg_get_expr(d.adbin, d.adrelid), '') <> 'timezone(''utc''::text, now())'$$,
  'created_at and updated_at default to timezone(''utc'', now())'
);

-- Constraints.
select col_is_unique('public', 'music_videos', array['release_id', 'slug'], 'slug is unique per release');
select index_is_unique('public', 'music_video_metrics', 'music_video_metrics_video_platform_collected_key');
select is(
  (select array_agg(a.attname::text order by k.ord)
   from pg_index as i
   cross join lateral unnest(i.indkey) with ordinality as k (attnum, ord)
   join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indexrelid = 'public.music_video_metrics_video_platform_collected_key'::regclass),
  array['music_video_id', 'platform', 'collected_at'],
  'metrics are unique on (music_video_id, platform, collected_at)'
);
select throws_ok(
  $$insert into public.music_video_budgets (name, min_cost, max_cost) values ('Upside down', 10, 10)$$,
  '23514', null, 'min_cost < max_cost'
);
select throws_ok(
  $$insert into public.music_video_cast_options (name, role, cost_multiplier) values ('x', 'y', -1)$$,
  '23514', null, 'cost multipliers are non-negative'
);
select ok(
  (select count(*) = 6 from pg_constraint
   where conname in ('music_videos_budget_estimate_non_negative', 'music_videos_kpi_view_target_non_negative',
                     'music_video_metrics_counts_non_negative', 'music_video_cast_assignments_cost_non_negative',
                     'music_video_budget_line_items_amount_non_negative', 'music_video_budgets_min_non_negative')),
  'non-negative checks on KPI targets, costs and counts'
);

-- An index on every foreign key (leading column).
select is_empty(
  $$select format('%s(%s)', c.conrelid::regclass, a.attname)
    from pg_constraint as c
    join pg_namespace as n on n.oid = c.connamespace
    join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'f' and n.nspname = 'public'
      and not exists (
        select 1 from pg_index as i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]
      )$$,
  'every foreign key has an index'
);

-- Every function of ours pins its search_path.
select is_empty(
  $$select p.oid::regprocedure::text from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
    where n.nspname in ('public', 'private') and p.prokind = 'f'
      and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as cfg where cfg like 'search_path=%')
      and not exists (select 1 from pg_depend as d where d.objid = p.oid and d.deptype = 'e')$$,
  'every function sets search_path'
);

select * from finish();
rollback;
