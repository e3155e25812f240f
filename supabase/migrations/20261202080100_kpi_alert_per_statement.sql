-- The KPI-target alert (20261130170300) was an AFTER ROW trigger on the card summaries: every card
-- whose views changed ran a PL/pgSQL call that read the video's target, although almost no video
-- is crossing its target at that moment. A nightly or a 100,000-video sync refreshes every card
-- once: ~5.7 us a card of a replayed 800-job commit (4.5 of its 27 ms card flush). Now the alert
-- is judged once per statement: the cards the statement wrote (its transition tables) joined to
-- the videos that have a target, and only the crossings call raise_music_video_alert. Same rule:
-- views_total moves from below the target (or from nothing) to at least the target; once per
-- target value (the alert's dedupe key); same title and detail.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Why: the one home of the alert's text and detail, for a card that crossed its target.
create or replace function private.raise_kpi_target_alert_for(
  p_music_video_id uuid,
  p_target bigint,
  p_views_total bigint,
  p_views_before bigint,
  p_views_by_platform jsonb,
  p_collected_at timestamptz
)
returns void
language sql
security definer
set search_path = ''
as $$
  select private.raise_music_video_alert(
    p_music_video_id, 'kpi_target_reached',
    format('kpi_target_reached:%s:%s', p_music_video_id, p_target),
    format('Reached the view target: %s views (target %s)',
           to_char(p_views_total, 'FM999,999,999,999'), to_char(p_target, 'FM999,999,999,999')),
    jsonb_build_object('view_target', p_target, 'views_total', p_views_total,
                       'views_before', p_views_before, 'views_by_platform', p_views_by_platform),
    coalesce(p_collected_at, now())
  )
$$;
revoke all on function private.raise_kpi_target_alert_for(uuid, bigint, bigint, bigint, jsonb, timestamptz)
from public;

-- Why: the crossings among a statement's cards. An inserted card crosses when its views reach the
-- target; an updated one when its views changed and were below the target (or none) before.
-- Each card reads its video's target by primary key (a scalar subquery: one probe per card, never a
-- scan of the videos, whose statistics say nothing about a statement's few hundred cards); only
-- the cards at or above their target meet the old values, by a hash join (nested loops off: a
-- nested loop over two transition tables compares every pair). PL/pgSQL prepares a statement when
-- it first runs it, so the insert branch never reads old_rows.
create or replace function private.raise_kpi_target_alerts()
returns trigger
language plpgsql
security definer
set search_path = ''
set enable_nestloop = off
as $$
begin
  if tg_op = 'INSERT' then
    perform private.raise_kpi_target_alert_for(c.music_video_id, c.target, c.views_total, null,
      c.views_by_platform, c.last_collected_at)
    from (
      select n.music_video_id, n.views_total, n.views_by_platform, n.last_collected_at,
        (select v.kpi_view_target from public.music_videos as v where v.id = n.music_video_id) as target
      from new_rows as n
      where n.views_total is not null
      offset 0 -- keeps one probe per card (no flattening into a join)
    ) as c
    where c.target >= 1 and c.views_total >= c.target;
  else
    perform private.raise_kpi_target_alert_for(c.music_video_id, c.target, c.views_total, o.views_total,
      c.views_by_platform, c.last_collected_at)
    from (
      select n.music_video_id, n.views_total, n.views_by_platform, n.last_collected_at,
        (select v.kpi_view_target from public.music_videos as v where v.id = n.music_video_id) as target
      from new_rows as n
      where n.views_total is not null
      offset 0 -- keeps the probe per card (no flattening into a join)
    ) as c
    inner join old_rows as o on o.music_video_id = c.music_video_id
    where c.target >= 1
      and c.views_total >= c.target
      and c.views_total is distinct from o.views_total
      and (o.views_total is null or o.views_total < c.target);
  end if;
  return null;
end
$$;
revoke all on function private.raise_kpi_target_alerts() from public;

drop trigger music_video_metric_summaries_kpi_alert_on_insert on private.music_video_metric_summaries;
drop trigger music_video_metric_summaries_kpi_alert_on_update on private.music_video_metric_summaries;
-- The row function has no caller left (private, never exposed): no client can break.
-- squawk-ignore ban-drop-function
drop function private.raise_kpi_target_alert();

-- Why: once per statement that creates cards (the card flush inserts a video's first card).
create trigger music_video_metric_summaries_kpi_alert_on_insert
after insert on private.music_video_metric_summaries
referencing new table as new_rows
for each statement
execute function private.raise_kpi_target_alerts();

-- Why: once per statement that updates cards (the card flush, at every commit that moved a metric).
create trigger music_video_metric_summaries_kpi_alert_on_update
after update on private.music_video_metric_summaries
referencing old table as old_rows new table as new_rows
for each statement
execute function private.raise_kpi_target_alerts();
