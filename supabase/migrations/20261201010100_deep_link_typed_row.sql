-- The deep link /releases/:id/music-video as one typed row (issue 12, sections 1-2): the route
-- loader's one call returned a json document holding list_music_videos' old body. It now
-- returns one row whose board is the same cards list_music_videos returns (an array of
-- public.music_video_card, the last one carrying next_cursor when more follow), with the
-- header counts and the resumable draft of the two board reads beside it, and which card to
-- highlight: the video the link names when it is on this release, otherwise the release's most
-- recently updated video; nothing highlighted when the release has no video. A release that is
-- missing or not yours is PT404, like every other read.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_deep_link(text, text, integer);

-- The route loader's row (one per call).
create type public.music_video_deep_link_view as (
  release_id uuid,
  -- true when the release has no video
  empty boolean,
  highlight_id uuid,
  highlight_status public.video_status_enum,
  -- 'requested' (the link's video) or 'most_recent'; null when empty
  highlight_reason text,
  -- whether the highlighted card is in board (a later page otherwise: open get_music_video)
  highlight_on_board boolean,
  -- the link's video id as given, null when none was
  requested_id text,
  requested_found boolean,
  board public.music_video_card [],
  status_counts public.music_video_status_count [],
  resume_draft public.music_video_draft_ref
);
grant usage on type public.music_video_deep_link_view to authenticated, service_role;

-- security invoker: the board reads and RLS decide what the caller sees. A requested video
-- that is not on this release (or not yours, or malformed) is "not found" there and the most
-- recent card is highlighted instead; the release itself must be yours.
create function public.music_video_deep_link(
  release_id text,
  music_video_id text default null,
  page_size integer default 200
)
returns setof public.music_video_deep_link_view
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_release uuid := private.board_release(music_video_deep_link.release_id);
  v_requested uuid := private.try_uuid(btrim(music_video_deep_link.music_video_id));
  v_board public.music_video_card[];
  v_pick record;
  v_reason text;
begin
  -- 22023 for a bad page size, as the list says
  -- array(select ...) over the function scan keeps the list's order
  v_board := array(
    select c
    from public.list_music_videos(release_id => v_release::text, page_size => music_video_deep_link.page_size) as c
  );
  select v.id, v.status into v_pick
  from public.music_videos as v
  where v.release_id = v_release and v.id = v_requested;
  if v_pick.id is not null then
    v_reason := 'requested';
  else
    select v.id, v.status into v_pick
    from public.music_videos as v
    where v.release_id = v_release
    order by v.updated_at desc, v.id desc
    limit 1;
    v_reason := case when v_pick.id is not null then 'most_recent' end;
  end if;
  return query
  select
    v_release,
    v_pick.id is null,
    v_pick.id,
    v_pick.status::public.video_status_enum,
    v_reason,
    case when v_pick.id is not null then exists (select 1 from unnest(v_board) as b where b.id = v_pick.id) end,
    nullif(btrim(music_video_deep_link.music_video_id), ''),
    case when nullif(btrim(music_video_deep_link.music_video_id), '') is not null then v_reason = 'requested' end,
    v_board,
    array(select sc from public.music_video_status_counts(v_release::text) as sc),
    (select rd from public.music_video_resume_draft(v_release::text) as rd);
end
$$;
revoke all on function public.music_video_deep_link(text, text, integer) from public, anon;
grant execute on function public.music_video_deep_link(text, text, integer) to authenticated, service_role;
