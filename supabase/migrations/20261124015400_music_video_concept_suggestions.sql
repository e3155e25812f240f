-- The wizard's "Concept & Theme" step suggests theme and art-style combinations based on the
-- release's genre from release_profiles (spec 1.2). A theme scores by how its genre_tags match
-- the release's genres, case-insensitively and ignoring spaces and punctuation ("Hip Hop" is
-- hip-hop): 3 per whole-genre match, 1 per matching word of a multi-word genre ("Indie Pop"
-- meets indie and pop). Art styles carry no genre, so they are spread across the ranked themes:
-- each theme's first suggestion gets a different style, and later rounds rotate the rest.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- A genre or tag reduced to what matters for matching.
create or replace function private.normalize_genre(p_text text)
returns text
language sql
immutable
set search_path = ''
as $$
  select nullif(regexp_replace(lower(p_text), '[^[:alnum:]&]+', '', 'g'), '')
$$;
revoke all on function private.normalize_genre(text) from public;
grant execute on function private.normalize_genre(text) to authenticated, service_role;

-- security invoker: the caller reads the release's genre under the host app's RLS and the
-- catalogs under theirs; the explicit check makes a release that is not yours PT404.
-- Parameters are named as the other RPCs name theirs; release_id is text so a malformed id is
-- the same PT404 as a missing one.
create or replace function public.music_video_concept_suggestions(
  release_id text default null,
  max_results integer default 12
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.try_uuid(btrim(music_video_concept_suggestions.release_id));
  v_limit integer := music_video_concept_suggestions.max_results;
  v_genres text[];
begin
  if v_release is null
     or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found';
  end if;
  if v_limit is null or v_limit < 1 or v_limit > 100 then
    raise exception using
      errcode = '22023',
      message = 'Invalid number of suggestions',
      detail = jsonb_build_object('max_results', 'must be between 1 and 100')::text;
  end if;

  select array_agg(distinct btrim(rp.genre)) filter (where nullif(btrim(rp.genre), '') is not null)
  into v_genres
  from public.release_profiles as rp
  where rp.release_id = v_release;

  return (
    with wanted as (
      -- whole genres weigh 3, the words of a multi-word genre 1
      select private.normalize_genre(g.genre) as key, 3 as weight
      from unnest(v_genres) as g (genre)
      union all
      select private.normalize_genre(w.word), 1
      from unnest(v_genres) as g (genre)
      cross join lateral regexp_split_to_table(g.genre, '[[:space:]/,+]+') as w (word)
      where g.genre ~ '[[:space:]/,+]'
    ),
    themes as (
      select
        t.id,
        t.name,
        t.description,
        t.genre_tags,
        coalesce(m.score, 0) as score,
        coalesce(m.matched_tags, '{}') as matched_tags,
        row_number() over (order by coalesce(m.score, 0) desc, t.name) - 1 as theme_rank
      from public.music_video_themes as t
      left join lateral (
        select sum(w.weight) as score, array_agg(distinct tag.tag order by tag.tag) as matched_tags
        from unnest(t.genre_tags) as tag (tag)
        inner join wanted as w on private.normalize_genre(tag.tag) = w.key
      ) as m on true
    ),
    styles as (
      select
        s.id,
        s.name,
        s.color_palette,
        row_number() over (order by s.name) - 1 as style_rank,
        count(*) over () as style_count
      from public.music_video_art_styles as s
    ),
    combos as (
      select
        t.*,
        s.id as style_id,
        s.name as style_name,
        s.color_palette,
        ((s.style_rank - t.theme_rank) % s.style_count + s.style_count) % s.style_count as pairing_round
      from themes as t
      cross join styles as s
      order by (t.score > 0) desc, pairing_round, t.score desc, t.theme_rank
      limit v_limit
    )
    select jsonb_build_object(
      'release_id', v_release,
      'genres', coalesce(to_jsonb(v_genres), '[]'::jsonb),
      'suggestions', coalesce(jsonb_agg(jsonb_build_object(
        'theme', jsonb_build_object(
          'id', c.id, 'name', c.name, 'description', c.description, 'genre_tags', to_jsonb(c.genre_tags)),
        'art_style', jsonb_build_object('id', c.style_id, 'name', c.style_name, 'color_palette', c.color_palette),
        'score', c.score,
        'matched_tags', to_jsonb(c.matched_tags)
      ) order by (c.score > 0) desc, c.pairing_round, c.score desc, c.theme_rank), '[]'::jsonb)
    )
    from combos as c
  );
end
$$;
revoke all on function public.music_video_concept_suggestions(text, integer) from public, anon;
grant execute on function public.music_video_concept_suggestions(text, integer) to authenticated, service_role;
