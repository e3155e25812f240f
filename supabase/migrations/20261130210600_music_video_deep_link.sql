-- The deep link /releases/:id/music-video (spec 1.1 "Direct Deep Link", acceptance criterion 9;
-- issue "The planning workspace, complete", section 5): the release route loader's one call.
-- It returns the release's board (list_music_videos' body: cards, per-status counts, the
-- resumable draft) and which card to highlight: the video the link names when it is on this
-- release, otherwise the release's most recently updated video; with an explicit empty state
-- when the release has no video. A release that is missing or not yours is PT404, like every
-- other read.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Body (json): {release_id, board: <list_music_videos body, up to page_size cards>,
--   empty: true when the release has no video,
--   highlight: {id, status, reason: 'requested' | 'most_recent', on_board} or null (empty),
--   requested: {id, found} or null when no music_video_id was given}
-- on_board says whether the highlighted card is on the returned page (a release with more
-- videos than page_size may have it on a later page: the app then opens get_music_video).
-- A requested video that is not on this release (or not yours, or malformed) is "not found"
-- there and the most recent card is highlighted instead; the release itself must be yours.
-- security invoker: list_music_videos and RLS decide what the caller sees.
create or replace function public.music_video_deep_link(
  release_id text default null,
  music_video_id text default null,
  page_size integer default 200
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_release uuid := private.try_uuid(btrim(music_video_deep_link.release_id));
  v_requested uuid := private.try_uuid(btrim(music_video_deep_link.music_video_id));
  v_board json;
  v_pick record;
  v_reason text;
begin
  if v_release is null or not private.can_access_release(v_release) then
    raise exception using errcode = 'PT404', message = 'Release not found',
      hint = 'Check the link; you can only open your own releases.';
  end if;
  -- 22023 for a bad page size, as the list says.
  v_board := public.list_music_videos(release_id => v_release::text, page_size => music_video_deep_link.page_size);
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
    v_reason := 'most_recent';
  end if;
  return json_build_object(
    'release_id', v_release,
    'board', v_board,
    'empty', v_pick.id is null,
    'highlight', case when v_pick.id is not null then json_build_object(
      'id', v_pick.id, 'status', v_pick.status, 'reason', v_reason,
      'on_board', exists (
        select 1 from json_array_elements(v_board -> 'items') as c (card) where c.card ->> 'id' = v_pick.id::text
      )) end,
    'requested', case when nullif(btrim(music_video_deep_link.music_video_id), '') is not null then json_build_object(
      'id', music_video_deep_link.music_video_id, 'found', v_reason = 'requested') end
  );
end
$$;
revoke all on function public.music_video_deep_link(text, text, integer) from public, anon;
grant execute on function public.music_video_deep_link(text, text, integer) to authenticated, service_role;
