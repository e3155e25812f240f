-- The catalogs the wizard caches (GET /music-video-catalogs, spec 2.3): one RPC returning every
-- catalog with a version, and the version counter that changes whenever an admin changes any
-- catalog. The version is the RPC's ETag, so the UI revalidates with If-None-Match and gets a
-- 304 with no body while nothing changed (spec 4.2, useMusicVideoCatalog).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- One row: the catalog version. epoch is random per database, so a version number reused by a
-- rebuilt database never matches an ETag a browser cached from the old one.
create table private.music_video_catalog_version (
  id boolean primary key default true,
  version bigint not null default 1,
  epoch text not null default substr(md5(random()::text || clock_timestamp()::text), 1, 8),
  changed_at timestamptz not null default now(),
  constraint music_video_catalog_version_single_row check (id)
);
insert into private.music_video_catalog_version (id) values (true)
on conflict (id) do nothing;

-- Read by the catalogs RPC (security invoker); written only by the trigger function below.
alter table private.music_video_catalog_version enable row level security;
revoke all on table private.music_video_catalog_version from anon, authenticated;
grant select on table private.music_video_catalog_version to authenticated, service_role;
create policy "Signed-in users read the catalog version" on private.music_video_catalog_version
for select to authenticated using (true);

-- Bumps the version after a statement that changed at least one catalog row. Statement-level
-- with transition tables, so a bulk change bumps once and a statement that changed nothing
-- (a non-admin's update that RLS filtered to zero rows) does not bump. security definer
-- because the admin's own role may not write the private table.
create or replace function private.bump_music_video_catalog_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    if not exists (select 1 from old_rows) then
      return null;
    end if;
  elsif tg_op in ('INSERT', 'UPDATE') then
    if not exists (select 1 from new_rows) then
      return null;
    end if;
  end if;
  update private.music_video_catalog_version
  set version = version + 1, changed_at = now()
  where id;
  return null;
end
$$;
revoke all on function private.bump_music_video_catalog_version() from public;

-- One trigger per event (transition tables allow only one event per trigger), on every table
-- the catalogs RPC returns.
do $$
declare
  t text;
begin
  foreach t in array array[
    'music_video_themes', 'music_video_art_styles', 'music_video_quality_tiers',
    'music_video_budgets', 'music_video_cast_options', 'music_video_chart_sources',
    'music_video_settings'
  ] loop
    execute format('create trigger bump_catalog_version_on_insert after insert on public.%I '
                   'referencing new table as new_rows '
                   'for each statement execute function private.bump_music_video_catalog_version()', t);
    execute format('create trigger bump_catalog_version_on_update after update on public.%I '
                   'referencing new table as new_rows '
                   'for each statement execute function private.bump_music_video_catalog_version()', t);
    execute format('create trigger bump_catalog_version_on_delete after delete on public.%I '
                   'referencing old table as old_rows '
                   'for each statement execute function private.bump_music_video_catalog_version()', t);
    execute format('create trigger bump_catalog_version_on_truncate after truncate on public.%I '
                   'for each statement execute function private.bump_music_video_catalog_version()', t);
  end loop;
end
$$;

-- True when an If-None-Match header value names the given strong ETag: a comma-separated
-- list, weak tags (W/"...") compared weakly as RFC 9110 requires for If-None-Match, or *.
create or replace function private.etag_matches(p_if_none_match text, p_etag text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(bool_or(
    tag = '*' or regexp_replace(tag, '^[Ww]/', '') = p_etag
  ), false)
  from unnest(string_to_array(coalesce(p_if_none_match, ''), ',')) as t (raw),
    lateral (select btrim(t.raw) as tag) as x
  where x.tag <> ''
$$;
revoke all on function private.etag_matches(text, text) from public;
grant execute on function private.etag_matches(text, text) to authenticated, service_role;

-- GET /rpc/music_video_catalogs. stable so PostgREST serves it over GET; it sets
-- response.headers (ETag, Cache-Control) and, when If-None-Match names the current version,
-- response.status 304 with a null body. Everything is read in the calling statement's
-- snapshot, so the version always describes the rows returned with it.
create or replace function public.music_video_catalogs()
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_version bigint;
  v_epoch text;
  v_etag text;
  v_headers jsonb;
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
    return null;
  end if;

  return jsonb_build_object(
    'version', v_version,
    'etag', v_etag,
    'themes', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', t.id, 'name', t.name, 'description', t.description,
        'visual_motifs', t.visual_motifs, 'genre_tags', to_jsonb(t.genre_tags)
      ) order by t.name)
      from public.music_video_themes as t
    ), '[]'::jsonb),
    'art_styles', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', s.id, 'name', s.name, 'color_palette', s.color_palette,
        'lighting_profile', s.lighting_profile, 'camera_techniques', s.camera_techniques,
        'moodboard_url', s.moodboard_url
      ) order by s.name)
      from public.music_video_art_styles as s
    ), '[]'::jsonb),
    'budgets', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', b.id, 'name', b.name, 'min_cost', b.min_cost, 'max_cost', b.max_cost,
        'default_quality_tier', b.default_quality_tier, 'currency_code', b.currency_code
      ) order by b.min_cost, b.name)
      from public.music_video_budgets as b
    ), '[]'::jsonb),
    'quality_tiers', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', q.id, 'tier', q.tier, 'description', q.description,
        'expected_turnaround', q.expected_turnaround::text, 'crew_size_hint', q.crew_size_hint
      ) order by q.tier)
      from public.music_video_quality_tiers as q
    ), '[]'::jsonb),
    'cast_options', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', c.id, 'name', c.name, 'role', c.role, 'cost_multiplier', c.cost_multiplier,
        'availability', c.availability, 'requires_union', c.requires_union
      ) order by c.role, c.name)
      from public.music_video_cast_options as c
    ), '[]'::jsonb),
    'chart_sources', coalesce((
      select jsonb_agg(jsonb_build_object(
        'id', cs.id, 'label', cs.label, 'provider', cs.provider
      ) order by cs.provider, cs.label)
      from public.music_video_chart_sources as cs
    ), '[]'::jsonb),
    'settings', coalesce((
      select jsonb_object_agg(st.key, st.value)
      from public.music_video_settings as st
    ), '{}'::jsonb)
  );
end
$$;
revoke all on function public.music_video_catalogs() from public, anon;
grant execute on function public.music_video_catalogs() to authenticated, service_role;
