-- The card's "last sync" lives in the per-video summary (20261124015500) rather than costing one
-- more index probe into music_video_metric_imports per card: the benchmark's 200-card list spent
-- about a third of its time there. Import rows note their video like metric rows do
-- (20261124015600), and the same commit-time flush refreshes the summary; heartbeats (updates
-- that change none of status, completed_at, error_message) note nothing.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Statement trigger on music_video_metric_imports: note the videos whose latest import may have
-- changed, for the commit-time flush (private.flush_music_video_metric_summaries).
create or replace function private.note_music_video_import_summaries()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids text;
begin
  if tg_op = 'INSERT' then
    select string_agg(distinct n.music_video_id::text, ',') into v_ids
    from new_rows as n
    where n.music_video_id is not null;
  elsif tg_op = 'UPDATE' then
    select string_agg(distinct x.id::text, ',') into v_ids
    from (
      select n.music_video_id as id
      from new_rows as n
      inner join old_rows as o on n.id = o.id
      where (n.status, n.completed_at, n.error_message, n.music_video_id)
        is distinct from (o.status, o.completed_at, o.error_message, o.music_video_id)
      union all
      select o.music_video_id
      from new_rows as n
      inner join old_rows as o on n.id = o.id
      where n.music_video_id is distinct from o.music_video_id
    ) as x
    where x.id is not null;
  else
    select string_agg(distinct o.music_video_id::text, ',') into v_ids
    from old_rows as o
    where o.music_video_id is not null;
  end if;
  perform private.mark_music_video_summaries_dirty(v_ids);
  return null;
end
$$;
revoke all on function private.note_music_video_import_summaries() from public;

create trigger note_summaries_on_insert
after insert on public.music_video_metric_imports
referencing new table as new_rows
for each statement execute function private.note_music_video_import_summaries();
create trigger note_summaries_on_update
after update on public.music_video_metric_imports
referencing old table as old_rows new table as new_rows
for each statement execute function private.note_music_video_import_summaries();
create trigger note_summaries_on_delete
after delete on public.music_video_metric_imports
referencing old table as old_rows
for each statement execute function private.note_music_video_import_summaries();
