-- Realtime pushes board moves, new metrics and import progress to every viewer (spec 4.2,
-- acceptance criterion 4). Realtime applies each subscriber's RLS to what it sends.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter publication supabase_realtime
add table public.music_videos, public.music_video_metrics, public.music_video_metric_imports;
