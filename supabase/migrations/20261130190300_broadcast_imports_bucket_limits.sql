-- The broadcast-imports bucket's limits (issue "Hostile input", finding 6).
--
-- The bucket took files of up to 1 GB: one upload could hold a worker's CSV engine for minutes
-- and fill the job's detail with tens of thousands of programmes. A season of daily ratings is
-- a few MB; 200 MB leaves a hundred times that. Only CSV, TSV and plain text are accepted
-- (application/vnd.ms-excel stays: Windows browsers label .csv files so). Stated in full, so a
-- bucket created by hand before the migrations ran gets the limits too.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

update storage.buckets
set
  public = false,
  file_size_limit = 209715200,
  allowed_mime_types = array['text/csv', 'text/plain', 'text/tab-separated-values', 'application/vnd.ms-excel']
where id = 'music-video-broadcast-imports';
