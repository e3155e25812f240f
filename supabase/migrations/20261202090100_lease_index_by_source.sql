-- The claim (workers/queue/statements.py, CLAIM_SQL) first takes over a source's processing jobs
-- whose lease ran out: status 'processing', that source, locked_until < now(), oldest lease first.
-- The lease index held locked_until alone. On statistics older than the queue's content (a table
-- analyzed while nearly empty, then a big enqueue: a new project's first nightly, a benchmark's
-- fresh queue), the planner combined it with the live-sync unique index (music_video_id, source)
-- in a BitmapAnd, matching the source against every entry of that index, one per live job: on
-- every claim, ~100,000 entries at the start of a 100,000-video sync (perf on the claiming
-- backends: they spent 5.6 s of CPU in that sync, 3.3 s with this index). Keyed by (source,
-- locked_until), one index answers the condition and the order whatever the statistics say. The build reads the whole table once
-- and holds writes to it meanwhile, as the other index changes on this table did.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The claim's take-over of expired leases, per source, oldest lease first. (Not CONCURRENTLY: a
-- migration is one transaction, here and in the Supabase CLI.)
-- squawk-ignore require-concurrent-index-creation
create index music_video_metric_imports_lease_by_source_idx
on public.music_video_metric_imports (source, locked_until) where status = 'processing';

-- Replaced by the index above (the claim was its only reader).
-- squawk-ignore require-concurrent-index-deletion
drop index public.music_video_metric_imports_lease_idx;
