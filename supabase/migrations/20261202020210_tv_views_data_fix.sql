-- The data under the TV rule of 20261202020200 (TV viewers are a day's audience, not a running
-- count): TV samples flagged by the old odd-data rules lose their flags, and the cards summarised
-- with a TV platform are recomputed (a TV platform's views are now the sum of its samples). A file
-- of its own because its cost follows the data, not the schema: it reads every TV sample and
-- recomputes every card that has one. On the 100M-row benchmark database (1M videos, every one
-- with TV samples on two platforms) the two statements took 153 s together, so the statement
-- timeout is raised here alone; the lock timeout still fails fast. The update locks only the
-- flagged TV rows it clears, and the summary refresh only those cards' rows: writers of other rows
-- are not blocked meanwhile.

-- Fail fast on locks; the data pass itself may take minutes on a large table (see above).
set local lock_timeout = '5s';
set local statement_timeout = '30min';

-- The videos that may have TV samples, found through the card summaries (one row per video,
-- keyed by the platforms with a live count) and the platform targets (a video whose latest TV
-- sample has no count), for the rule's platforms: the data fixes below then probe
-- music_video_metrics_video_platform_collected_key per (video, TV platform) instead of reading
-- every sample of the table (no index leads with platform).
create temporary table tv_videos on commit drop as
select
  s.music_video_id,
  p.platform
from private.music_video_metric_summaries as s
cross join lateral unnest(enum_range(null::public.platform_enum)) as p (platform)
where
  not private.platform_views_are_cumulative(p.platform)
  and s.views_by_platform ? p.platform::text
union
select
  t.music_video_id,
  t.platform
from public.music_video_platform_targets as t
where not private.platform_views_are_cumulative(t.platform);

-- TV samples flagged under the old rule: rewriting the flags fires the update trigger, which
-- recomputes them (now empty). Only flagged rows of the non-cumulative platforms are touched.
update public.music_video_metrics as m
set flags = '{}'
from tv_videos as t
where
  m.music_video_id = t.music_video_id
  and m.platform = t.platform
  and cardinality(m.flags) > 0;

-- Cards already summarised with a TV platform: recompute them with the rule (one call over the
-- videos that have a live TV sample).
select private.refresh_music_video_metric_summaries(array(
  select distinct t.music_video_id from tv_videos as t
));
