-- music_video_catalogs as one typed row (issue 12, sections 1-2): the wizard's cached catalogs
-- were one jsonb document. They are now one row (public.music_video_catalog_set): the version
-- and ETag as scalars, and each catalog as an array of its table's rows (so the generated types
-- are the tables' own Row types), ordered as before; the admin-editable settings stay a jsonb
-- object (key -> value: each value is free-form by design). The 304 behaviour is unchanged:
-- ETag and Cache-Control response headers always, and response.status 304 with no row when
-- If-None-Match names the current version.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create type public.music_video_catalog_set as (
  -- the catalog version (bumped by any catalog change) and the ETag built from it
  version bigint,
  etag text,
  -- by name
  themes public.music_video_themes [],
  -- by name
  art_styles public.music_video_art_styles [],
  -- by min_cost, name
  budgets public.music_video_budgets [],
  -- by tier
  quality_tiers public.music_video_quality_tiers [],
  -- by role, name
  cast_options public.music_video_cast_options [],
  -- by provider, label
  chart_sources public.music_video_chart_sources [],
  -- {key: value} of music_video_settings
  settings jsonb
);
grant usage on type public.music_video_catalog_set to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_catalogs();

-- GET /rpc/music_video_catalogs (supabase-js .single(); 304 means: keep the cached copy).
-- stable so PostgREST serves it over GET. Everything is read in the calling statement's
-- snapshot, so the version always describes the rows returned with it.
create function public.music_video_catalogs()
returns setof public.music_video_catalog_set
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_version bigint;
  v_epoch text;
  v_etag text;
  v_if_none_match text;
begin
  select cv.version, cv.epoch
  into v_version, v_epoch
  from private.music_video_catalog_version as cv
  where cv.id;

  v_etag := format('"v%s-%s"', v_version, v_epoch);
  perform set_config('response.headers', jsonb_build_array(
    jsonb_build_object('ETag', v_etag),
    jsonb_build_object('Cache-Control', 'private, max-age=0, must-revalidate')
  )::text, true);

  v_if_none_match := nullif(current_setting('request.headers', true), '')::json ->> 'if-none-match';
  if private.etag_matches(v_if_none_match, v_etag) then
    perform set_config('response.status', '304', true);
    return;
  end if;

  return query
  select
    v_version,
    v_etag,
    array(select t from public.music_video_themes as t order by t.name),
    array(select s from public.music_video_art_styles as s order by s.name),
    array(select b from public.music_video_budgets as b order by b.min_cost, b.name),
    array(select q from public.music_video_quality_tiers as q order by q.tier),
    array(select c from public.music_video_cast_options as c order by c.role, c.name),
    array(select cs from public.music_video_chart_sources as cs order by cs.provider, cs.label),
    coalesce((select jsonb_object_agg(st.key, st.value) from public.music_video_settings as st), '{}'::jsonb);
end
$$;
revoke all on function public.music_video_catalogs() from public, anon;
grant execute on function public.music_video_catalogs() to authenticated, service_role;
