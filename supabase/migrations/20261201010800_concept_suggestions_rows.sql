-- music_video_concept_suggestions as typed rows (issue 12, sections 1-2): the wizard's "Concept
-- & Theme" step read {release_id, genres, suggestions: [{theme, art_style, score,
-- matched_tags}]} as jsonb. It now returns one row per suggested theme and art-style pair
-- (public.music_video_concept_suggestion), best first, each carrying the release's genres the
-- scores were computed from. The scoring and pairing rules are those of 20261124015400.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create type public.music_video_concept_suggestion as (
  -- 1 for the best suggestion
  suggestion_rank integer,
  theme_id uuid,
  theme_name text,
  theme_description text,
  theme_genre_tags text [],
  art_style_id uuid,
  art_style_name text,
  art_style_color_palette jsonb,
  -- 3 per whole-genre match, 1 per matching word of a multi-word genre; 0 when nothing matched
  score integer,
  -- the theme's tags that matched
  matched_tags text [],
  -- the release's genres (release_profiles), the same on every row
  release_genres text []
);
grant usage on type public.music_video_concept_suggestion to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_concept_suggestions(text, integer);

-- security invoker: the caller reads the release's genre under the host app's RLS and the
-- catalogs under theirs; the explicit check makes a release that is not yours PT404.
create function public.music_video_concept_suggestions(
  release_id text,
  max_results integer default 12
)
returns setof public.music_video_concept_suggestion
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.board_release(music_video_concept_suggestions.release_id);
  v_limit integer := music_video_concept_suggestions.max_results;
  v_genres text[];
begin
  if v_limit is null or v_limit < 1 or v_limit > 100 then
    perform private.raise_bad_argument('max_results', 'out_of_range', 'max_results must be between 1 and 100.');
  end if;

  select coalesce(array_agg(distinct btrim(rp.genre)) filter (where nullif(btrim(rp.genre), '') is not null), '{}')
  into v_genres
  from public.release_profiles as rp
  where rp.release_id = v_release;

  return query
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
  select
    (row_number() over (order by (c.score > 0) desc, c.pairing_round, c.score desc, c.theme_rank))::integer,
    c.id, c.name, c.description, c.genre_tags, c.style_id, c.style_name, c.color_palette,
    c.score::integer, c.matched_tags, v_genres
  from combos as c
  order by (c.score > 0) desc, c.pairing_round, c.score desc, c.theme_rank;
end
$$;
revoke all on function public.music_video_concept_suggestions(text, integer) from public, anon;
grant execute on function public.music_video_concept_suggestions(text, integer) to authenticated, service_role;
