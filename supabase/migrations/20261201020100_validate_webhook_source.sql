-- Validates the source list that 20261201020000 added NOT VALID (with 'webhook'), in a
-- transaction of its own: VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE only, so the
-- workers' claims and the app's reads and writes go on during the scan.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter table public.music_video_metric_imports
validate constraint music_video_metric_imports_source_known;
