-- Validates the constraints 20261130190000 added NOT VALID (the moodboard verdict, the source
-- list with 'moodboard_check', the check job's shape), in a transaction of its own: VALIDATE
-- CONSTRAINT takes SHARE UPDATE EXCLUSIVE only, so reads and writes go on during the scan.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter table public.music_video_moodboards
validate constraint music_video_moodboards_check_status_known;
alter table public.music_video_metric_imports
validate constraint music_video_metric_imports_source_known;
alter table public.music_video_metric_imports
validate constraint music_video_metric_imports_moodboard_check_shape;
