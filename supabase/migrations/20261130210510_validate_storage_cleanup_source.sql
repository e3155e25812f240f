-- Validates the import-table constraints 20261130210500 added NOT VALID (the source list with
-- 'storage_cleanup', and the cleanup job's shape), in a transaction of its own: VALIDATE
-- CONSTRAINT takes SHARE UPDATE EXCLUSIVE only, so the workers' claims and the app's reads and
-- writes go on during the scan. New rows were checked from 20261130210500 on.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter table public.music_video_metric_imports
validate constraint music_video_metric_imports_source_known;
alter table public.music_video_metric_imports
validate constraint music_video_metric_imports_storage_cleanup_shape;
