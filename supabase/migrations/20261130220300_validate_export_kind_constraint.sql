-- Validates the export-kind constraint 20261130220200 added NOT VALID, in a transaction of its
-- own: VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE only, so the workers' claims and the
-- app's reads and writes go on during the scan. New rows were checked from 20261130220200 on.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

alter table public.music_video_metric_imports
validate constraint music_video_metric_imports_export_kind;
