-- The odd-data flag trigger (20261130170000) looks up a video's previous samples once per written
-- metric row. PL/pgSQL caches that lookup's generic plan per connection, planned against the
-- table as it was at the time: on a metrics table that was empty or small then (a new install, a
-- restored or truncated table, the benchmarks) the cached plan is a sequential scan, kept until
-- the table is next analyzed, so every sample of a large first sync read the whole table again:
-- a 10,000-video sync spent 0.37 ms of server CPU per sample in this lookup instead of ~0.01 ms
-- (benchmarks/README.md, "Queue"). The lookup is only ever answered well by the live index
-- (music_video_metrics_live_idx: video, platform, collected_at desc), so the function plans it
-- with sequential scans disabled, whatever the table's statistics say. Same flags, same rows.

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Why: keep the per-row lookup on the index even when the plan is cached on a small table.
alter function private.flag_odd_metric_sample() set enable_seqscan = off;
