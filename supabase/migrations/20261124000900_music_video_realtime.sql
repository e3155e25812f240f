-- Realtime pushes board moves, new metrics and import progress to every viewer (spec 4.2,
-- acceptance criterion 4). Realtime applies each subscriber's RLS to what it sends.
alter publication supabase_realtime
add table public.music_videos, public.music_video_metrics, public.music_video_metric_imports;
