"""The queue's SQL over ``music_video_metric_imports`` and :class:`QueueOps`, which runs it.

Every statement touches only rows this worker holds (``locked_by``), so a worker that lost its
lease cannot write over another's work. docs/queue.md explains how the pieces fit together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import PoolTimeout

from workers.events import record_locked_sync_events
from workers.metrics import ChartPosition, MetricSample, UpsertCounts, upsert_chart_positions, upsert_samples
from workers.queue.handler import Job

__all__ = ["CHANNEL", "CLAIM_SQL", "DB_ERRORS", "TERMINAL", "Claimed", "QueueOps", "Resolved"]

log = logging.getLogger("workers.queue")

# The LISTEN channel: a statement-level insert trigger notifies once per statement and source.
CHANNEL = "music_video_imports"
TERMINAL = frozenset({"succeeded", "failed", "partially_failed"})
# Errors that mean "the database is unreachable right now": retried, never turned into outcomes.
DB_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)

# Claim up to %(n)s jobs of one source for this worker, in ONE statement.
#  * expired: `processing` jobs whose lease ran out (their worker died), taken over first;
#  * due:     `pending` jobs whose run_after has passed, oldest first, unless the source is
#             paused (YouTube quota) for every worker;
#  FOR UPDATE SKIP LOCKED lets any number of concurrent claimers split the rows without waiting.
#  Each picked row becomes `processing` under this worker's lease with its attempt counted and
#  started_at stamped on the first attempt, except a taken-over job that already used its last
#  attempt (its worker kept dying): that one is failed here and returned with status 'failed'.
#  paused_until tells the runtime to defer taken-over jobs of a paused source without calling it.
CLAIM_SQL = """
with pause as (
  select p.paused_until
  from private.worker_source_pauses as p
  where p.source = %(source)s and p.paused_until > now()
),
expired as (
  select j.id
  from public.music_video_metric_imports as j
  where j.status = 'processing' and j.source = %(source)s and j.locked_until < now()
  order by j.locked_until
  limit %(n)s
  for update skip locked
),
due as (
  select j.id
  from public.music_video_metric_imports as j
  where j.status = 'pending' and j.source = %(source)s and j.run_after <= now()
    and not exists (select 1 from pause)
  order by j.run_after
  limit %(n)s
  for update skip locked
),
picked as (
  select e.id from expired as e
  union all
  select d.id from due as d
  limit %(n)s
)
update public.music_video_metric_imports as j
set status = case when j.attempts >= least(j.max_attempts, %(max_attempts)s) then 'failed' else 'processing' end
      ::public.import_status_enum,
    attempts = case when j.attempts >= least(j.max_attempts, %(max_attempts)s) then j.attempts
      else j.attempts + 1 end,
    started_at = coalesce(j.started_at, now()),
    updated_at = now(),  -- what the set_updated_at trigger writes, which it then skips (20261202090000)
    completed_at = case when j.attempts >= least(j.max_attempts, %(max_attempts)s) then clock_timestamp() end,
    error_message = case
      when j.attempts < least(j.max_attempts, %(max_attempts)s) then j.error_message
      when j.status = 'processing' then
        format('gave up after %%s attempts: the worker running the last one (%%s) stopped renewing '
               'its lease (crashed or lost the database); see the worker logs for job %%s',
               j.attempts, coalesce(j.locked_by, 'unknown'), j.id)
      else format('gave up after %%s attempts: %%s', j.attempts, coalesce(j.error_message, 'no error recorded'))
    end,
    locked_by = case when j.attempts >= least(j.max_attempts, %(max_attempts)s) then null else %(worker)s end,
    locked_until = case when j.attempts >= least(j.max_attempts, %(max_attempts)s) then null
      else now() + make_interval(secs => %(lease)s) end,
    heartbeat_at = now()
from picked
where j.id = picked.id
returning -- read by position in QueueOps.claim
  j.id, j.source, j.music_video_id, j.platform, j.status, j.attempts, j.max_attempts, j.metadata,
  j.created_at, j.started_at, j.triggered_by, j.dedupe_key, j.error_message,
  (select max(p.paused_until) from pause as p) as paused_until
"""

# Renew the leases of the jobs in hand, all in one statement (one round trip however many jobs).
# Rows not returned are no longer ours: another worker took them over after our lease expired.
# A job a committer of ours is finishing right now is row-locked by its transaction: it is skipped
# (its finish ends the lease anyway) but still returned as ours, read from the statement's snapshot.
# Waiting for those locks instead held the heartbeat's own row locks meanwhile, in another order
# than the committer's, and a 100,000-video sync ended one of the two in a deadlock.
HEARTBEAT_SQL = """
with free as (
  select j.id
  from public.music_video_metric_imports as j
  where j.id = any(%(ids)b::uuid[]) and j.locked_by = %(worker)s and j.status = 'processing'
  for update skip locked
),
renewed as (
  update public.music_video_metric_imports as j
  set locked_until = now() + make_interval(secs => %(lease)s), heartbeat_at = now()
  from free
  where j.id = free.id
)
select j.id
from public.music_video_metric_imports as j
where j.id = any(%(ids)b::uuid[]) and j.locked_by = %(worker)s and j.status = 'processing'
"""

# First step of the finish transaction: lock the jobs this worker still holds, so the metric upsert
# writes samples only for those, and a worker taking one over meanwhile waits for our commit.
# Driven by the ids, one primary-key probe each (a lateral subquery with its own row lock runs per
# id), in the ids' sorted order (QueueOps.finish sorts them): the two committers' jobs are disjoint,
# but a release or another statement locking several jobs then cannot take them in a crossing order.
# The status is compared as text on purpose: `status = 'processing'` matches the predicate of
# the lease index (status = 'processing'), and on a queue that was all pending when last analyzed
# the planner takes that index for a one-row scan and reads every job in hand through it, for each
# id (81 ms for 250 ids with 2,500 jobs in hand, against ~1 ms by the primary key; docs/queue.md).
HELD_SQL = """
select h.id
from unnest(%(ids)b::uuid[]) as u(id)
cross join lateral (
  select j.id
  from public.music_video_metric_imports as j
  where j.id = u.id and j.locked_by = %(worker)b and j.status::text = 'processing'
  for update
) as h
"""

# Finish every job of the commit in one statement (arrays through unnest, sent in binary: one round
# trip, no per-row statements). The ids are those HELD_SQL returned in the same transaction: still
# this worker's and processing, and locked since, so the statement joins on the id alone. A
# `locked_by` or `status` filter here gave the planner a way to start from the table (the lease
# index, or a scan it estimated at one row from stale statistics) and re-read the whole unnest for
# every processing job: ~0.4 s for a 250-job finish with 2,500 jobs in hand (docs/queue.md).
# `delay` (seconds from now) or `run_after` (absolute) reschedule retries and deferrals; `refund`
# takes back an attempt that did not count (a deferral).
# The same statement takes the advisory locks of the syncs whose jobs it finished (sorted, one per
# sync: workers/events.py), so the events statement that follows, with a snapshot of its own, sees
# what another worker finishing the same sync committed before us. It returns each finished job's
# video, sync key and created_at (which the jobs of one sync share) for that statement: no second
# read of the queue table to find them.
FINISH_SQL = """
with f as (
  update public.music_video_metric_imports as j
  set status = u.status::public.import_status_enum,
      error_message = u.error,
      metadata = j.metadata || u.meta
        || case when u.attempt_error is null then '{}'::jsonb
           else jsonb_build_object('attempt_errors',
                  coalesce(j.metadata -> 'attempt_errors', '[]'::jsonb) || jsonb_build_array(u.attempt_error))
           end,
      run_after = coalesce(u.run_after, now() + make_interval(secs => u.delay), j.run_after),
      attempts = j.attempts - u.refund,
      completed_at = case when u.status in ('succeeded', 'failed', 'partially_failed')
        then clock_timestamp() end,
      locked_by = null,
      locked_until = null,
      heartbeat_at = null,
      updated_at = now()  -- as in the claim: the set_updated_at trigger is skipped
  from unnest(%(ids)b::uuid[], %(status)b::text[], %(error)b::text[], %(meta)b::jsonb[],
              %(attempt_error)b::jsonb[], %(run_after)b::timestamptz[], %(delay)b::float8[],
              %(refund)b::int[]) as u(id, status, error, meta, attempt_error, run_after, delay, refund)
  where j.id = u.id
  returning j.id, j.status::text as status, j.run_after, j.music_video_id, j.metadata ->> 'sync_id' as sync_id,
    j.created_at,
    coalesce(j.metadata ->> 'sync_id', j.id::text) as sync_key
),
locks as (
  select pg_advisory_xact_lock(hashtextextended(s.sync_id, 4242))
  from (select distinct f.sync_id from f
        where f.sync_id is not null and f.music_video_id is not null
          and f.status in ('succeeded', 'failed', 'partially_failed')
        order by 1) as s
)
select f.id, f.status, f.run_after, f.music_video_id, f.sync_key, f.created_at,
  (select count(*) from locks) as syncs_locked
from f
"""

# Give jobs back at shutdown instead of letting their leases run out: pending again, due at once
# for another worker, the attempt not counted (the job was interrupted, it did not fail).
RELEASE_SQL = """
update public.music_video_metric_imports as j
set status = 'pending', attempts = greatest(j.attempts - 1, 0), run_after = now(),
    locked_by = null, locked_until = null, heartbeat_at = null,
    metadata = j.metadata || jsonb_build_object('released_by', %(worker)s::text, 'released_at', now())
where j.id = any(%(ids)s) and j.locked_by = %(worker)s and j.status = 'processing'
returning j.id
"""

# Quota: pause the source for every worker (the claim skips a paused source, so no call is spent)
# and move all its pending jobs to the reset time, in one statement.
# Two statements in one transaction (not one statement with a data-modifying CTE): the imports'
# trigger (private.mark_import_waiting_on_pause) must see the new pause to write each pending
# row's metadata.waiting ("waiting for the YouTube quota reset at ..."), and a CTE's insert is not
# visible to the statement's own triggers.
PAUSE_SOURCE_SQL = """
insert into private.worker_source_pauses as p (source, paused_until, reason)
values (%(source)s, %(until)s, %(reason)s)
on conflict (source) do update
set paused_until = greatest(p.paused_until, excluded.paused_until), reason = excluded.reason,
    updated_at = now()
"""
PAUSE_SQL = """
update public.music_video_metric_imports as j
set run_after = %(until)s, error_message = %(message)s
where j.source = %(source)s and j.status = 'pending' and j.run_after < %(until)s
"""


@dataclass
class Claimed:
    """A claimed batch of one source."""

    source: str
    jobs: list[Job]
    given_up: list[dict[str, Any]]  # taken-over jobs failed at claim time (attempts exhausted)
    paused_until: datetime | None
    ahead: bool = False  # claimed ahead of a free slot: re-check the source pause before running


@dataclass
class Resolved:
    """One job's outcome as the finish statement writes it (see :func:`workers.queue.completion.resolve`)."""

    job: Job
    status: str
    error: str | None
    meta: dict[str, Any]
    attempt_error: dict[str, Any] | None
    run_after: datetime | None
    delay: float | None
    refund: int
    samples: list[MetricSample] = field(default_factory=list)
    chart_positions: list[ChartPosition] = field(default_factory=list)


class QueueOps:
    """The queue's SQL, bound to one worker id and lease length. Stateless otherwise."""

    def __init__(self, worker_id: str, lease_seconds: float, max_attempts: int | None = None) -> None:
        self.worker_id = worker_id
        self.lease = float(lease_seconds)
        # MV_MAX_ATTEMPTS caps every job; a row's own max_attempts may ask for fewer.
        self.max_attempts = max_attempts if max_attempts is not None else 2**31 - 1

    def claim(self, conn: psycopg.Connection, source: str, n: int, *, set_async: bool = True) -> Claimed:
        """Run :data:`CLAIM_SQL`. The claim commits asynchronously (no wait for the WAL flush:
        ~0.4 ms instead of a disk sync). Safe: a claim lost in a server crash only puts the job
        back where it was, and the worker that ran it cannot finish it then (the finish checks
        ``locked_by``, and its durable commit flushes every earlier WAL record), so the cost is
        at most a repeated fetch. ``set_async=False``: the connection already has
        ``synchronous_commit = off`` (the worker's dispatcher connection), one round trip.
        """
        params = {"source": source, "n": n, "worker": self.worker_id, "lease": self.lease,
                  "max_attempts": self.max_attempts}
        # Rows as tuples, the jobs built from them by position: a dict per row (the connection's
        # dict_row) cost more CPU than the rest of the claim's Python work (py-spy, 100,000 jobs).
        with conn.cursor(row_factory=tuple_row) as cur:
            if set_async:
                with conn.transaction():
                    conn.execute("set local synchronous_commit = off")
                    rows = cur.execute(CLAIM_SQL, params).fetchall()
            else:
                rows = cur.execute(CLAIM_SQL, params).fetchall()
            names = [c.name for c in cur.description or ()]
        jobs, given_up, paused = [], [], None
        cap = self.max_attempts
        for (jid, source_, video, platform, status, attempts, max_attempts, metadata, created_at, started_at,
             triggered_by, dedupe_key, _error, paused_until) in rows:
            paused = paused_until or paused
            if status == "processing":
                jobs.append(Job(jid, source_, video, platform, attempts, min(max_attempts, cap), metadata or {},
                                created_at, started_at, triggered_by, dedupe_key))
            else:
                given_up.append(dict(zip(names, (jid, source_, video, platform, status, attempts, max_attempts,
                                                 metadata, created_at, started_at, triggered_by, dedupe_key,
                                                 _error, paused_until), strict=True)))
        jobs.sort(key=lambda j: j.created_at)
        return Claimed(source, jobs, given_up, paused)

    def heartbeat(self, conn: psycopg.Connection, ids: Sequence[UUID]) -> set[UUID]:
        if not ids:
            return set()
        with conn.transaction():  # a lost renewal only shortens a lease: no disk sync needed
            conn.execute("set local synchronous_commit = off")
            with conn.cursor(row_factory=tuple_row) as cur:
                rows = cur.execute(HEARTBEAT_SQL, {"ids": list(ids), "worker": self.worker_id,
                                                   "lease": self.lease}).fetchall()
        return {r[0] for r in rows}

    def release(self, conn: psycopg.Connection, ids: Sequence[UUID]) -> set[UUID]:
        if not ids:
            return set()
        rows = conn.execute(RELEASE_SQL, {"ids": list(ids), "worker": self.worker_id}).fetchall()
        return {r["id"] for r in rows}

    def pause_source(self, conn: psycopg.Connection, source: str, until: datetime, reason: str) -> int:
        message = f"deferred until {until.isoformat()}: {reason}"
        params = {"source": source, "until": until, "reason": reason, "message": message}
        with conn.transaction():
            conn.execute(PAUSE_SOURCE_SQL, params)
            cur = conn.execute(PAUSE_SQL, params)
        return cur.rowcount

    def finish(self, conn: psycopg.Connection, resolved: Sequence[Resolved],
               ) -> tuple[list[dict[str, Any]], UpsertCounts, list[dict[str, Any]]]:
        """One transaction: lock what we hold, upsert samples, finish the jobs, emit events.

        Returns (finished rows: id, status, run_after, music_video_id, sync_key; sample counts, event
        payloads). Jobs no longer held are left out.
        """
        ids = sorted(r.job.id for r in resolved)  # locked in this order (HELD_SQL)
        with conn.transaction():
            with conn.cursor(row_factory=tuple_row) as cur:
                held = {r[0] for r in cur.execute(HELD_SQL, {"ids": ids, "worker": self.worker_id})}
            mine = [r for r in resolved if r.job.id in held]
            if not mine:
                return [], UpsertCounts(), []
            samples = [s for r in mine for s in r.samples]
            counts = upsert_samples(conn, samples) if samples else UpsertCounts()
            for r in mine:
                if r.samples:
                    ins, upd = counts.by_import.get(r.job.id, (0, 0))
                    r.meta["samples"] = {"inserted": ins, "updated": upd, "count": len(r.samples)}
            positions = [p for r in mine for p in r.chart_positions]
            if positions:
                upsert_chart_positions(conn, positions)
            rows = conn.execute(FINISH_SQL, {
                "ids": [r.job.id for r in mine],
                "status": [r.status for r in mine],
                "error": [r.error for r in mine],
                "meta": [Jsonb(r.meta) for r in mine],
                "attempt_error": [Jsonb(r.attempt_error) if r.attempt_error else None for r in mine],
                "run_after": [r.run_after for r in mine],
                "delay": [r.delay for r in mine],
                "refund": [r.refund for r in mine],
                "worker": self.worker_id,
            }, binary=True).fetchall()  # %b: binary arrays in, no per-element text escaping
            ended = [r for r in rows if r["status"] in TERMINAL and r["music_video_id"] is not None]
            events = record_locked_sync_events(conn, [r["music_video_id"] for r in ended],
                                               [r["sync_key"] for r in ended],
                                               [r["created_at"] for r in ended],
                                               payloads=log.isEnabledFor(logging.INFO)) if ended else []
        return rows, counts, events
