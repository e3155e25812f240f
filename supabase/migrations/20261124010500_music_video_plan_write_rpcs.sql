-- POST /music-videos and PATCH /music-videos/:id (spec 2.3) and the wizard's draft autosave
-- (spec 1.2, 4.1 "autosave on step change"): create_music_video, update_music_video,
-- save_music_video_draft and submit_music_video. Each runs in the caller's one transaction
-- (PostgREST's), so a failure leaves nothing behind; each returns the full plan document.
-- Scalar arguments are text and lists jsonb: every malformed value becomes a field error
-- (PT422) rather than a 22P02 from PostgREST's argument conversion.
-- security invoker throughout: owners have full RLS rights on music_videos and its children;
-- access is checked first (private.can_access_release / can_access_video) only to answer PT404.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Stores a row (insert or update of every plan column), turning the slug's unique violation
-- into a PT409 for an explicitly requested slug, or into another generated slug (-2, -3, ...)
-- when the slug was generated and a concurrent request took it first.
create or replace function private.music_video_store(
  p_row public.music_videos, p_insert boolean, p_explicit_slug boolean
)
returns public.music_videos
language plpgsql
set search_path = ''
as $$
declare
  v_row public.music_videos := p_row;
  v_attempt integer := 0;
  v_constraint text;
begin
  loop
    begin
      if p_insert then
        insert into public.music_videos (
          id, release_id, title, slug, status, budget_estimate, quality_tier, target_release_date,
          shoot_start_date, shoot_end_date, kpi_view_target, kpi_chart_target, primary_platform,
          sync_strategy, video_theme_id, art_style_id, budget_band_id, narrative_outline, promo_only,
          wizard_state, wizard_step, spotify_track_uri, apple_music_id, isrc, artist_name
        ) values (
          v_row.id, v_row.release_id, v_row.title, v_row.slug, v_row.status, v_row.budget_estimate,
          v_row.quality_tier, v_row.target_release_date, v_row.shoot_start_date, v_row.shoot_end_date,
          v_row.kpi_view_target, v_row.kpi_chart_target, v_row.primary_platform,
          coalesce(v_row.sync_strategy, 'manual'), v_row.video_theme_id, v_row.art_style_id,
          v_row.budget_band_id, v_row.narrative_outline, coalesce(v_row.promo_only, false),
          coalesce(v_row.wizard_state, '{}'::jsonb), v_row.wizard_step, v_row.spotify_track_uri,
          v_row.apple_music_id, v_row.isrc, v_row.artist_name
        );
      else
        update public.music_videos as v
        set
          title = v_row.title, slug = v_row.slug, status = v_row.status,
          budget_estimate = v_row.budget_estimate, quality_tier = v_row.quality_tier,
          target_release_date = v_row.target_release_date, shoot_start_date = v_row.shoot_start_date,
          shoot_end_date = v_row.shoot_end_date, kpi_view_target = v_row.kpi_view_target,
          kpi_chart_target = v_row.kpi_chart_target, primary_platform = v_row.primary_platform,
          sync_strategy = v_row.sync_strategy, video_theme_id = v_row.video_theme_id,
          art_style_id = v_row.art_style_id, budget_band_id = v_row.budget_band_id,
          narrative_outline = v_row.narrative_outline, promo_only = v_row.promo_only,
          wizard_state = v_row.wizard_state, wizard_step = v_row.wizard_step,
          spotify_track_uri = v_row.spotify_track_uri, apple_music_id = v_row.apple_music_id,
          isrc = v_row.isrc, artist_name = v_row.artist_name
        where v.id = v_row.id;
      end if;
      return v_row;
    exception
      when unique_violation then
        get stacked diagnostics v_constraint = constraint_name;
        if v_constraint is distinct from 'music_videos_release_slug_key' then
          raise;
        end if;
        if p_explicit_slug or v_attempt >= 5 or v_row.title is null then
          perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
            'slug', 'slug_taken', format('A video with slug "%s" already exists for this release.', v_row.slug))));
        end if;
        v_attempt := v_attempt + 1;
        v_row.slug := private.music_video_free_slug(v_row.release_id, v_row.title, v_row.id);
    end;
  end loop;
end
$$;

-- The one write path of a plan. p_context:
--   create: a new plan (p_release_id), stored as a draft with its lists, checked with every
--           rule of spec 4.3 (as at submit) and moved to planned;
--   draft:  a new draft (p_music_video_id null) or a change to a draft: types only;
--   update: a change to an existing video, including its status (board moves, submit).
-- Rules apply when the resulting status is planned, in_production, post_production or
-- released; "the shoot may not start in the past" only when a draft is submitted or a planned
-- video's shoot start changes. All problems are raised together (PT422; PT409 for a taken slug
-- alone). Returns the video id.
create or replace function private.music_video_save(
  p_music_video_id uuid, p_release_id uuid, p_patch jsonb, p_context text
)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_parsed jsonb := private.music_video_parse_patch(p_patch, p_context);
  v_problems jsonb := v_parsed -> 'problems';
  v_old public.music_videos;
  v_new public.music_videos;
  v_explicit_slug boolean := (v_parsed -> 'values' ->> 'slug') is not null;
  v_target public.video_status_enum;
  v_allowed public.video_status_enum[];
  v_at_submit boolean;
begin
  if p_music_video_id is null then
    v_old := jsonb_populate_record(null::public.music_videos, jsonb_build_object(
      'id', extensions.uuid_generate_v4(), 'release_id', p_release_id, 'status', 'draft',
      'sync_strategy', 'manual', 'promo_only', false, 'wizard_state', '{}'::jsonb));
  else
    select v.* into v_old from public.music_videos as v where v.id = p_music_video_id for update;
  end if;
  v_new := jsonb_populate_record(v_old, v_parsed -> 'values');
  v_target := case when p_context = 'create' then 'planned'::public.video_status_enum else v_new.status end;

  if p_music_video_id is not null and v_new.status <> v_old.status then
    v_allowed := private.music_video_next_statuses(v_old.status, v_old.id);
    if not v_new.status = any(v_allowed) then
      v_problems := v_problems || private.plan_problem('status', 'invalid_transition',
        format('A video cannot move from %s to %s; from %s it can move to %s.',
          v_old.status, v_new.status, v_old.status, array_to_string(v_allowed, ', ')),
        jsonb_build_object('from', v_old.status, 'to', v_new.status, 'allowed', to_jsonb(v_allowed)));
    end if;
  end if;

  if v_explicit_slug and v_new.slug is distinct from v_old.slug
     and private.music_video_slug_taken(v_new.release_id, v_new.slug, v_new.id) then
    v_problems := v_problems || private.plan_problem('slug', 'slug_taken',
      format('A video with slug "%s" already exists for this release.', v_new.slug));
    v_new.slug := v_old.slug;
  elsif v_new.slug is null and v_target <> 'draft' then
    v_new.slug := private.music_video_free_slug(v_new.release_id, v_new.title, v_new.id);
    v_explicit_slug := false;
  end if;

  if p_music_video_id is null then
    -- Stored as a draft first: its lists need the row, and the rules read the lists.
    v_new.status := 'draft';
    v_new := private.music_video_store(v_new, true, v_explicit_slug);
  end if;
  perform private.music_video_apply_lists(v_new.id, v_parsed -> 'lists');

  if v_target in ('planned', 'in_production', 'post_production', 'released') then
    v_at_submit := v_target = 'planned'
      and (v_old.status = 'draft' or v_new.shoot_start_date is distinct from v_old.shoot_start_date);
    v_problems := private.merge_plan_problems(
      v_problems, private.music_video_plan_check(v_new, v_at_submit) -> 'problems');
  end if;
  perform private.raise_plan_problems(v_problems);

  if p_music_video_id is null then
    if v_target = 'planned' then
      update public.music_videos as v set status = 'planned' where v.id = v_new.id;
    end if;
  else
    perform private.music_video_store(v_new, false, v_explicit_slug);
  end if;
  return v_new.id;
end
$$;

-- POST /music-videos: a complete plan in one call and one transaction: the video, its budget
-- line items, cast assignments and platform targets, validated with every rule of spec 4.3
-- (as at submit) and created as planned. The slug is generated from the title when absent
-- (-2, -3 on collision); a requested slug that is taken answers PT409.
create or replace function public.create_music_video(
  release_id text default null,
  title text default null,
  slug text default null,
  video_theme_id text default null,
  art_style_id text default null,
  budget_band_id text default null,
  quality_tier text default null,
  narrative_outline text default null,
  budget_estimate text default null,
  target_release_date text default null,
  shoot_start_date text default null,
  shoot_end_date text default null,
  kpi_view_target text default null,
  kpi_chart_target text default null,
  primary_platform text default null,
  sync_strategy text default null,
  promo_only text default null,
  isrc text default null,
  spotify_track_uri text default null,
  apple_music_id text default null,
  artist_name text default null,
  line_items jsonb default null,
  cast_assignments jsonb default null,
  platform_targets jsonb default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.try_uuid(btrim(create_music_video.release_id));
  v_patch jsonb;
  v_id uuid;
begin
  if v_release is null or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the release id; you can only plan videos for your own releases.';
  end if;
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
  into v_patch
  from jsonb_each(jsonb_build_object(
    'title', create_music_video.title,
    'slug', create_music_video.slug,
    'video_theme_id', create_music_video.video_theme_id,
    'art_style_id', create_music_video.art_style_id,
    'budget_band_id', create_music_video.budget_band_id,
    'quality_tier', create_music_video.quality_tier,
    'narrative_outline', create_music_video.narrative_outline,
    'budget_estimate', create_music_video.budget_estimate,
    'target_release_date', create_music_video.target_release_date,
    'shoot_start_date', create_music_video.shoot_start_date,
    'shoot_end_date', create_music_video.shoot_end_date,
    'kpi_view_target', create_music_video.kpi_view_target,
    'kpi_chart_target', create_music_video.kpi_chart_target,
    'primary_platform', create_music_video.primary_platform,
    'sync_strategy', create_music_video.sync_strategy,
    'promo_only', create_music_video.promo_only,
    'isrc', create_music_video.isrc,
    'spotify_track_uri', create_music_video.spotify_track_uri,
    'apple_music_id', create_music_video.apple_music_id,
    'artist_name', create_music_video.artist_name,
    'line_items', create_music_video.line_items,
    'cast_assignments', create_music_video.cast_assignments,
    'platform_targets', create_music_video.platform_targets
  )) as e
  where e.value <> 'null'::jsonb;
  -- Two statements: the stable document must see what the save wrote.
  v_id := private.music_video_save(null, v_release, v_patch, 'create');
  return private.music_video_document(v_id);
end
$$;

-- PATCH /music-videos/:id: a partial patch. patch is an object whose keys are the plan's
-- columns (title, slug, video_theme_id, art_style_id, budget_band_id, quality_tier,
-- narrative_outline, budget_estimate, target_release_date, shoot_start_date, shoot_end_date,
-- kpi_view_target, kpi_chart_target, primary_platform, sync_strategy, promo_only, isrc,
-- spotify_track_uri, apple_music_id, artist_name, wizard_state, wizard_step, status) and
-- optionally line_items / cast_assignments / platform_targets (each replaces that set). A key
-- present sets the value (null clears it); a key absent leaves it. status follows the board's
-- moves (private.music_video_next_statuses); draft -> planned is a submit.
create or replace function public.update_music_video(id text default null, patch jsonb default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(update_music_video.id));
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only change videos of your own releases.';
  end if;
  perform private.music_video_save(v_id, null, coalesce(update_music_video.patch, '{}'::jsonb), 'update');
  return private.music_video_document(v_id);
end
$$;

-- The wizard's autosave on each step change: creates the release's draft (id null) or saves
-- into an existing draft its step, its free-form form state and whatever plan fields and lists
-- are filled in (patch, same keys as update_music_video except status). Only types are
-- checked; dates may be in the past. A video that is no longer a draft answers PT409.
create or replace function public.save_music_video_draft(
  id text default null,
  release_id text default null,
  wizard_step text default null,
  wizard_state jsonb default null,
  patch jsonb default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(save_music_video_draft.id));
  v_release uuid := private.try_uuid(btrim(save_music_video_draft.release_id));
  v_status public.video_status_enum;
  v_patch jsonb := coalesce(save_music_video_draft.patch, '{}'::jsonb);
begin
  if nullif(btrim(save_music_video_draft.id), '') is not null then
    if v_id is null or not private.can_access_video(v_id) then
      raise exception using errcode = 'PT404', message = 'Music video not found',
        hint = 'Check the id; you can only change videos of your own releases.';
    end if;
    select v.status into v_status from public.music_videos as v where v.id = v_id;
    if v_status <> 'draft' then
      raise exception using errcode = 'PT409',
        message = format('Only a draft can be autosaved; this video is %s.', v_status),
        detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
          'status', 'not_a_draft', format('This video is %s, not a draft.', v_status))))::text,
        hint = 'Change a planned video with update_music_video.';
    end if;
  elsif v_release is null or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the release id; you can only plan videos for your own releases.';
  end if;
  if jsonb_typeof(v_patch) = 'object' then
    if save_music_video_draft.wizard_step is not null then
      v_patch := v_patch || jsonb_build_object('wizard_step', save_music_video_draft.wizard_step);
    end if;
    if save_music_video_draft.wizard_state is not null then
      v_patch := v_patch || jsonb_build_object('wizard_state', save_music_video_draft.wizard_state);
    end if;
  end if;
  v_id := private.music_video_save(v_id, v_release, v_patch, 'draft');
  return private.music_video_document(v_id);
end
$$;

-- "Submit Plan" on a draft: the full validation of spec 4.3, then planned. The same as
-- update_music_video(id, {"status": "planned"}) on a draft; anything else answers PT409.
create or replace function public.submit_music_video(id text default null)
returns jsonb
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_id uuid := private.try_uuid(btrim(submit_music_video.id));
  v_status public.video_status_enum;
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only submit videos of your own releases.';
  end if;
  select v.status into v_status from public.music_videos as v where v.id = v_id for update;
  if v_status <> 'draft' then
    raise exception using errcode = 'PT409',
      message = format('Only a draft can be submitted; this video is already %s.', v_status),
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'status', 'not_a_draft', format('This video is %s, not a draft.', v_status))))::text;
  end if;
  perform private.music_video_save(v_id, null, '{"status": "planned"}'::jsonb, 'update');
  return private.music_video_document(v_id);
end
$$;

revoke all on function private.music_video_store(public.music_videos, boolean, boolean) from public;
revoke all on function private.music_video_save(uuid, uuid, jsonb, text) from public;
grant execute on function private.music_video_store(public.music_videos, boolean, boolean)
to authenticated, service_role;
grant execute on function private.music_video_save(uuid, uuid, jsonb, text) to authenticated, service_role;

revoke all on function public.create_music_video(
  text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text,
  text, text, text, text, text, jsonb, jsonb, jsonb
) from public, anon;
grant execute on function public.create_music_video(
  text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text,
  text, text, text, text, text, jsonb, jsonb, jsonb
) to authenticated, service_role;
revoke all on function public.update_music_video(text, jsonb) from public, anon;
grant execute on function public.update_music_video(text, jsonb) to authenticated, service_role;
revoke all on function public.save_music_video_draft(text, text, text, jsonb, jsonb) from public, anon;
grant execute on function public.save_music_video_draft(text, text, text, jsonb, jsonb) to authenticated, service_role;
revoke all on function public.submit_music_video(text) from public, anon;
grant execute on function public.submit_music_video(text) to authenticated, service_role;
