-- Card summaries: an update of an import row recomputes only the card's last sync.
--
-- The import statement trigger (20261201040100) noted every video whose import changed status,
-- completion or error for the full recompute at commit: the latest metric row of each of seven
-- platforms plus the last sync. Only the last sync reads the import table, so for those updates
-- the full recompute re-read seven metric probes a video for nothing, and the queue changes an
-- import's status twice per job (claim, finish): a 10,000-video sync paid it for every claimed
-- video (benchmarks/README.md, "Queue"). Now such updates note their videos for the last sync
-- only, as inserts already do. An update that moves an import to another video still notes both
-- videos for the full recompute (the old one may be left with no import and no metric: its card
-- row goes), as do deletes and every metric change.

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Note videos (comma-separated ids) for a refresh at commit, in the given list: the full recompute
-- (mv.metric_summary_dirty) or the last sync only (mv.metric_summary_sync_dirty); the flush
-- (private.flush_music_video_metric_summaries) reads both. The one home of the noting: the
-- one-argument form (the full recompute, used by the metric triggers) calls it.
create or replace function private.mark_music_video_summaries_dirty(p_ids text, p_list text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_ids is null then
    return;
  end if;
  if p_list not in ('mv.metric_summary_dirty', 'mv.metric_summary_sync_dirty') then
    raise exception 'unknown summary list %', p_list using errcode = '22023';
  end if;
  perform set_config(p_list, concat_ws(',', nullif(current_setting(p_list, true), ''), p_ids), true);
  insert into private.music_video_metric_summary_flushes (txid) values (txid_current())
  on conflict (txid) do nothing;
end
$$;
-- Why: called by the summary triggers only.
revoke all on function private.mark_music_video_summaries_dirty(text, text) from public;

-- Why: the full recompute's noting, now through the one home above (same behaviour).
create or replace function private.mark_music_video_summaries_dirty(p_ids text)
returns void
language sql
security definer
set search_path = ''
as $$
  select private.mark_music_video_summaries_dirty(p_ids, 'mv.metric_summary_dirty')
$$;

-- Statement trigger on music_video_metric_imports: inserted rows, and updated rows that keep their
-- video, note it for the last sync only; an import moved to another video (both videos) and
-- deletes note the full recompute.
create or replace function private.note_music_video_import_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
  v_sync_ids text;
begin
  if tg_op = 'INSERT' then
    select string_agg(distinct n.music_video_id::text, ',') into v_sync_ids
    from new_rows as n
    where n.music_video_id is not null;
  elsif tg_op = 'UPDATE' then
    select string_agg(distinct n.music_video_id::text, ',') into v_sync_ids
    from new_rows as n
    inner join old_rows as o on n.id = o.id
    where n.music_video_id is not null
      and n.music_video_id is not distinct from o.music_video_id
      and (n.status, n.completed_at, n.error_message) is distinct from (o.status, o.completed_at, o.error_message);
    select string_agg(distinct x.id::text, ',') into v_ids
    from new_rows as n
    inner join old_rows as o on n.id = o.id
    cross join lateral (values (n.music_video_id), (o.music_video_id)) as x (id)
    where n.music_video_id is distinct from o.music_video_id
      and x.id is not null;
  else
    select string_agg(distinct o.music_video_id::text, ',') into v_ids
    from old_rows as o
    where o.music_video_id is not null;
  end if;
  perform private.mark_music_video_summaries_dirty(v_sync_ids, 'mv.metric_summary_sync_dirty');
  perform private.mark_music_video_summaries_dirty(v_ids, 'mv.metric_summary_dirty');
  return null;
end
$$;
