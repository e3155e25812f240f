-- Real parameter types on the plan RPCs (issue 12, section 1). Every scalar parameter was text
-- (numbers, booleans, dates, enums), so generated clients typed them as strings, and every
-- parameter had a default, so every one was optional. Now each has its column's type and only
-- the truly optional ones have a default (a parameter without one is required in the generated
-- types; PostgREST answers a call that leaves one out with PGRST202, as for an unknown name).
-- PostgREST converts the JSON body into these types before the function runs, so a wrong-typed
-- value (a string where a number, boolean, date or enum is expected) is PostgREST's 22P02 /
-- 22007 from that conversion, not a field problem. Ids stay text: a malformed or foreign id is
-- still a 404 (PT404), never a cast error. The bodies are unchanged (they hand a jsonb patch to
-- the same parser), except that the values now arrive typed. Each function is dropped and
-- created (no overload left: PostgREST cannot choose between overloads) and re-granted as
-- before: authenticated and service_role, never anon.
-- Dropping breaks clients of the old signatures on purpose (a breaking change the issue asks
-- for): hence squawk's ban-drop-function is ignored at each drop.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- POST /music-videos: the plan, straight to planned. Required: what the plan rules require of
-- every planned video (release, title, theme, art style, budget band, quality tier, target
-- release date, platform targets); sending one as null is the rules' PT422 "required" problem.
-- squawk-ignore ban-drop-function
drop function if exists public.create_music_video(
  text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text,
  text, text, text, text, text, jsonb, jsonb, jsonb
);
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
returns jsonb
language plpgsql
volatile
security invoker
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
revoke all on function public.create_music_video(
  text, text, text, text, text, public.quality_tier_enum, date, jsonb, text, text, integer, date, date,
  integer, text, public.platform_enum, public.sync_strategy_enum, boolean, text, text, text, text, jsonb, jsonb
) from public, anon;
grant execute on function public.create_music_video(
  text, text, text, text, text, public.quality_tier_enum, date, jsonb, text, text, integer, date, date,
  integer, text, public.platform_enum, public.sync_strategy_enum, boolean, text, text, text, text, jsonb, jsonb
) to authenticated, service_role;

-- PATCH /music-videos/:id: both parameters required (an update without a patch changes nothing).
-- squawk-ignore ban-drop-function
drop function if exists public.update_music_video(text, jsonb);
create function public.update_music_video(id text, patch jsonb)
returns jsonb
language plpgsql
volatile
security invoker
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
revoke all on function public.update_music_video(text, jsonb) from public, anon;
grant execute on function public.update_music_video(text, jsonb) to authenticated, service_role;

-- Submit a draft: the id is required.
-- squawk-ignore ban-drop-function
drop function if exists public.submit_music_video(text);
create function public.submit_music_video(id text)
returns jsonb
language plpgsql
volatile
security invoker
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
revoke all on function public.submit_music_video(text) from public, anon;
grant execute on function public.submit_music_video(text) to authenticated, service_role;

-- DELETE /music-videos/:id (a draft): the id is required.
-- squawk-ignore ban-drop-function
drop function if exists public.delete_music_video(text);
create function public.delete_music_video(id text)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_id uuid := private.try_uuid(btrim(delete_music_video.id));
  v_release uuid;
  v_job uuid;
begin
  if v_id is null or not private.can_access_video(v_id) then
    raise exception using errcode = 'PT404', message = 'Music video not found',
      hint = 'Check the id; you can only delete videos of your own releases.';
  end if;
  perform set_config('mv.storage_cleanup_job', '', true);
  delete from public.music_videos as v where v.id = v_id returning v.release_id into v_release;
  v_job := private.try_uuid(current_setting('mv.storage_cleanup_job', true));
  return jsonb_build_object('id', v_id, 'release_id', v_release, 'deleted', v_release is not null,
    'storage_cleanup_job_id', v_job);
end
$$;
revoke all on function public.delete_music_video(text) from public, anon;
grant execute on function public.delete_music_video(text) to authenticated, service_role;
