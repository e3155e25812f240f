"""The worker runtime: claim / lease / heartbeat / retry / finish over ``music_video_metric_imports``.

The import table is the job queue (ARCHITECTURE.md); this module is the only code that moves a
job through ``pending -> processing -> succeeded | failed | partially_failed``. Source handlers
(:mod:`workers.sync` documents the protocol) only fetch, parse and return outcomes.

Design
======
* **Claiming**: one statement (:data:`CLAIM_SQL`) per source claims due jobs for every free slot
  (``batch_size`` each, split after the claim) with ``FOR UPDATE SKIP LOCKED``, takes over jobs
  whose lease expired, marks them ``processing``, counts the attempt, stamps ``started_at`` on
  the first attempt and sets the lease. Any number of workers on any number of machines can run
  it at once: skip locked splits the rows, so no job is held by two workers. While every slot is
  busy the dispatcher claims one batch per source ahead (held and heartbeated like the others),
  so a slot that frees up starts again without waiting for a claim.
* **Waking**: the dispatcher's own connection ``LISTEN``s on ``music_video_imports`` (a
  statement-level insert trigger notifies once per insert statement and source) and runs the
  claims. The dispatcher ``poll()``s that socket and a self-pipe that finished batches and
  ``stop()`` write to, so a notification reaches a claim without a thread hop. The poll
  interval (``MV_POLL_INTERVAL``) bounds the wait; polling also finds expired leases, which send
  no notification, so a lost notification costs one poll interval. Notifications that arrive
  while a claim runs are drained right after it and trigger another claim.
* **Leases**: a heartbeat thread renews the lease (``MV_LEASE_SECONDS``) of every job in hand
  every third of a lease. A job whose worker died is claimed again once its lease expires; the
  attempt counts, and a job that has used its last attempt that way is failed instead of being
  run again ("gave up after N attempts ...").
* **Finishing**: the handler's outcomes, the batch's metric samples (one upsert, see
  :mod:`workers.metrics`) and the ``music_video.metrics_synced`` events commit in ONE
  transaction, which only touches jobs this worker still holds (``locked_by``). A worker that
  lost its lease (paused, partitioned) cannot write a second copy. Completions are batched:
  a committer thread (``MV_WORKER_COMMITTERS`` of them, default 1) takes every batch whose
  handler has returned since its last commit and finishes them all with one
  ``UPDATE ... FROM unnest(...)`` and one durable commit, while the handler's slot already runs
  the next batch (``MV_WORKER_CONCURRENCY`` counts batches inside handlers). A commit the data
  itself refuses is retried batch by batch, and a batch whose results cannot be stored is
  failed with the database's message.
* **Retries**: ``retry`` outcomes (and transient exceptions) go back to ``pending`` with
  ``run_after = now() + backoff`` (exponential from ``MV_BACKOFF_BASE``, capped at
  ``MV_BACKOFF_MAX``, "equal jitter", the server's Retry-After as a minimum) until
  ``max_attempts``; then ``failed`` with "gave up after N attempts: <last error>". Every
  attempt's error is appended to ``metadata.attempt_errors``.
* **Quota**: ``QuotaExceeded`` pauses the source for every worker (``private.worker_source_pauses``)
  and, in one statement, moves ``run_after`` of all its pending jobs to the reset time. The
  claim statement skips a paused source, so no further calls are spent. Deferral is not an attempt.
* **Shutdown**: SIGTERM/SIGINT stop claiming; jobs in hand get ``MV_SHUTDOWN_GRACE`` seconds to
  finish, then are released (back to ``pending``, the attempt refunded). A second signal skips
  the grace period. A job is never left in ``processing``: the worst case (kill -9) is a lease
  expiry.
* **Reconnects**: connections come from a psycopg pool that checks them on checkout; a failed
  claim, heartbeat or finish is retried with backoff until the database is back; the dispatcher
  reconnects its LISTEN connection and claims at once (for what it missed while away).

Why threads and the sync psycopg API, not asyncio: the handlers are synchronous (httpx client,
pure parsers), the work is I/O-bound with psycopg and httpx releasing the GIL while they wait,
and a handful of threads (``MV_WORKER_CONCURRENCY`` batches in flight plus the dispatcher, a
committer and a heartbeat) keeps the code plain and every handler free of ``await``. Claims and
lease renewals commit asynchronously (see :meth:`QueueOps.claim`); finishes are durable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import random
import select
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from workers.config import Settings
from workers.errors import (
    ConfigError,
    PermanentSourceError,
    QuotaExceeded,
    TransientSourceError,
)
from workers.events import record_sync_events
from workers.logs import job_fields
from workers.metrics import MetricSample, UpsertCounts, upsert_samples
from workers.queue.handler import Handler, Job, JobContext, JobOutcome

__all__ = [
    "CHANNEL",
    "CLAIM_SQL",
    "Claimed",
    "QueueOps",
    "Worker",
    "backoff_delay",
]

log = logging.getLogger("workers.queue")

CHANNEL = "music_video_imports"
TERMINAL = frozenset({"succeeded", "failed", "partially_failed"})
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
returning j.id, j.source, j.music_video_id, j.platform, j.status, j.attempts, j.max_attempts, j.metadata,
  j.created_at, j.started_at, j.triggered_by, j.dedupe_key, j.error_message,
  (select max(p.paused_until) from pause as p) as paused_until
"""

# Renew the leases of the jobs in hand; rows not returned are no longer ours.
HEARTBEAT_SQL = """
update public.music_video_metric_imports as j
set locked_until = now() + make_interval(secs => %(lease)s), heartbeat_at = now()
where j.id = any(%(ids)s) and j.locked_by = %(worker)s and j.status = 'processing'
returning j.id
"""

# Lock the jobs of a batch that this worker still holds (first step of the finish transaction).
HELD_SQL = """
select j.id
from public.music_video_metric_imports as j
where j.id = any(%(ids)s) and j.locked_by = %(worker)s and j.status = 'processing'
for update
"""

# Finish a whole batch in one statement. `delay` (seconds from now) or `run_after` (absolute)
# reschedule retries and deferrals; `refund` takes back an attempt that did not count.
FINISH_SQL = """
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
    heartbeat_at = null
from unnest(%(ids)s::uuid[], %(status)s::text[], %(error)s::text[], %(meta)s::jsonb[],
            %(attempt_error)s::jsonb[], %(run_after)s::timestamptz[], %(delay)s::float8[],
            %(refund)s::int[]) as u(id, status, error, meta, attempt_error, run_after, delay, refund)
where j.id = u.id and j.locked_by = %(worker)s and j.status = 'processing'
returning j.id, j.status::text as status, j.run_after, j.attempts, j.started_at, j.completed_at
"""

# Give jobs back (shutdown): pending again, run at once elsewhere, the attempt not counted.
RELEASE_SQL = """
update public.music_video_metric_imports as j
set status = 'pending', attempts = greatest(j.attempts - 1, 0), run_after = now(),
    locked_by = null, locked_until = null, heartbeat_at = null,
    metadata = j.metadata || jsonb_build_object('released_by', %(worker)s::text, 'released_at', now())
where j.id = any(%(ids)s) and j.locked_by = %(worker)s and j.status = 'processing'
returning j.id
"""

# Quota: pause the source for every worker and defer all its pending jobs, in one statement.
PAUSE_SQL = """
with pause as (
  insert into private.worker_source_pauses as p (source, paused_until, reason)
  values (%(source)s, %(until)s, %(reason)s)
  on conflict (source) do update
  set paused_until = greatest(p.paused_until, excluded.paused_until), reason = excluded.reason,
      updated_at = now()
)
update public.music_video_metric_imports as j
set run_after = %(until)s, error_message = %(message)s
where j.source = %(source)s and j.status = 'pending' and j.run_after < %(until)s
"""


def backoff_delay(attempt: int, base: float, cap: float, *, minimum: float | None = None,
                  rng: Callable[[], float] = random.random) -> float:
    """Seconds before retry number ``attempt`` (1-based): exponential, capped, equal jitter.

    ``base * 2**(attempt-1)`` capped at ``cap``; the result is uniform in [d/2, d], and never
    below ``minimum`` (a server's Retry-After).
    """
    d = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = d / 2 + rng() * d / 2
    if minimum is not None:
        delay = max(delay, minimum)
    return delay


@dataclass
class Claimed:
    """A claimed batch of one source."""

    source: str
    jobs: list[Job]
    given_up: list[dict[str, Any]]  # taken-over jobs failed at claim time (attempts exhausted)
    paused_until: datetime | None
    ahead: bool = False  # claimed ahead of a free slot: re-check the source pause before running


@dataclass
class _Resolved:
    job: Job
    status: str
    error: str | None
    meta: dict[str, Any]
    attempt_error: dict[str, Any] | None
    run_after: datetime | None
    delay: float | None
    refund: int
    samples: list[MetricSample] = field(default_factory=list)


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
        if set_async:
            with conn.transaction():
                conn.execute("set local synchronous_commit = off")
                rows = conn.execute(CLAIM_SQL, params).fetchall()
        else:
            rows = conn.execute(CLAIM_SQL, params).fetchall()
        jobs, given_up, paused = [], [], None
        for r in rows:
            paused = r["paused_until"] or paused
            if r["status"] == "processing":
                job = Job.from_row(r)
                if job.max_attempts > self.max_attempts:
                    job = dataclasses.replace(job, max_attempts=self.max_attempts)
                jobs.append(job)
            else:
                given_up.append(r)
        jobs.sort(key=lambda j: j.created_at)
        return Claimed(source, jobs, given_up, paused)

    def heartbeat(self, conn: psycopg.Connection, ids: Sequence[UUID]) -> set[UUID]:
        if not ids:
            return set()
        with conn.transaction():  # a lost renewal only shortens a lease: no disk sync needed
            conn.execute("set local synchronous_commit = off")
            rows = conn.execute(HEARTBEAT_SQL, {"ids": list(ids), "worker": self.worker_id,
                                                "lease": self.lease}).fetchall()
        return {r["id"] for r in rows}

    def release(self, conn: psycopg.Connection, ids: Sequence[UUID]) -> set[UUID]:
        if not ids:
            return set()
        rows = conn.execute(RELEASE_SQL, {"ids": list(ids), "worker": self.worker_id}).fetchall()
        return {r["id"] for r in rows}

    def pause_source(self, conn: psycopg.Connection, source: str, until: datetime, reason: str) -> int:
        message = f"deferred until {until.isoformat()}: {reason}"
        cur = conn.execute(PAUSE_SQL, {"source": source, "until": until, "reason": reason,
                                       "message": message})
        return cur.rowcount

    def finish(self, conn: psycopg.Connection, resolved: Sequence[_Resolved],
               ) -> tuple[list[dict[str, Any]], UpsertCounts, list[dict[str, Any]]]:
        """One transaction: lock what we hold, upsert samples, finish the jobs, emit events.

        Returns (finished rows, sample counts, event payloads). Jobs no longer held are left out.
        """
        ids = [r.job.id for r in resolved]
        with conn.transaction():
            held = {r["id"] for r in conn.execute(HELD_SQL, {"ids": ids, "worker": self.worker_id})}
            mine = [r for r in resolved if r.job.id in held]
            if not mine:
                return [], UpsertCounts(), []
            samples = [s for r in mine for s in r.samples]
            counts = upsert_samples(conn, samples) if samples else UpsertCounts()
            for r in mine:
                if r.samples:
                    ins, upd = counts.by_import.get(r.job.id, (0, 0))
                    r.meta["samples"] = {"inserted": ins, "updated": upd, "count": len(r.samples)}
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
            }, binary=True).fetchall()  # binary arrays: no per-element text escaping
            terminal = [r["id"] for r in rows if r["status"] in TERMINAL]
            with_video = {r.job.id for r in mine if r.job.music_video_id is not None}
            events = record_sync_events(conn, [i for i in terminal if i in with_video],
                                        payloads=log.isEnabledFor(logging.INFO)) if with_video else []
        return rows, counts, events


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs handlers over the queue until stopped. See the module docstring.

    ``handlers`` maps a source to its :class:`~workers.sync.Handler`; by default every registered
    handler (or ``settings.worker_sources``) is built. ``run()`` blocks; ``stop()`` (or SIGTERM /
    SIGINT when ``install_signals``) ends it gracefully.
    """

    def __init__(self, settings: Settings, conninfo: str, *, handlers: Mapping[str, Handler] | None = None,
                 storage: Any = None, worker_id: str | None = None, concurrency: int | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        from workers.sources.registry import build_handlers
        from workers.storage import make_storage

        self.settings = settings
        self.conninfo = conninfo
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency or settings.worker_concurrency
        self.handlers: dict[str, Handler] = dict(handlers) if handlers is not None else \
            build_handlers(settings, settings.worker_sources)
        if not self.handlers:
            raise ConfigError("no job handlers to run")
        self.storage = storage if storage is not None else make_storage(settings)
        self.ops = QueueOps(self.worker_id, settings.lease_seconds, settings.max_attempts)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._closing = threading.Event()  # ends the heartbeat thread at the very end
        # Wake-ups of the dispatcher: other threads write a byte; it select()s on this pipe and
        # on its LISTEN connection's socket together (no extra thread on the pickup path).
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._pipe_lock = threading.RLock()  # RLock: stop() may run in a signal handler
        self._pipe_open = True
        self._dconn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._busy = 0  # batches in a handler (the concurrency limit)
        self._committing = 0  # batches waiting for, or in, the committer
        self._commit_q: queue.Queue[tuple[list[_Resolved], float]] = queue.Queue()
        self._paused: dict[str, tuple[datetime, str]] = {}  # source -> (quota reset, reason) seen here
        self._ready: dict[str, Claimed] = {}  # per source, one batch claimed ahead while every slot is busy
        self._held: dict[UUID, Job] = {}
        self._lost: set[UUID] = set()
        self._threads: list[threading.Thread] = []
        self._pool: ConnectionPool | None = None
        self._idle_exit = False
        self.stats = {"claimed": 0, "finished": 0, "batches": 0, "released": 0, "lost": 0}
        self._rr = 0
        self.ctx: JobContext | None = None

    # ------------------------------------------------------------------ lifecycle

    def stop(self, *, hurry: bool = False) -> None:
        """Stop claiming; finish jobs in hand within the grace period (or release them at once)."""
        if self._stop.is_set() or hurry:
            self._hurry.set()
        self._stop.set()
        self._poke()

    def _poke(self) -> None:
        with self._pipe_lock:
            if self._pipe_open:
                # BlockingIOError: the pipe is full, so a wake-up is pending anyway.
                with contextlib.suppress(BlockingIOError):
                    os.write(self._wake_w, b"!")

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("signal received; stopping", extra={"signal": signal.Signals(signum).name,
                                                     "worker": self.worker_id, "in_hand": len(self._held)})
        self.stop()

    def run(self, *, install_signals: bool = True, exit_when_idle: bool = False) -> int:
        """Run until stopped (or, with ``exit_when_idle``, until nothing is due or in hand)."""
        self._idle_exit = exit_when_idle
        previous = {}
        if install_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
        s = self.settings
        self._pool = ConnectionPool(
            # Connections for every slot, the committers and the heartbeat, opened in the background.
            self.conninfo, min_size=self.concurrency + 1 + self.settings.worker_committers,
            max_size=self.concurrency + 2 + self.settings.worker_committers,
            name=f"worker-{self.worker_id}",
            open=False, check=ConnectionPool.check_connection, timeout=5.0, reconnect_timeout=3600,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "mv-worker"})
        self._pool.open(wait=False)
        self.ctx = JobContext(settings=s, pool=self._pool, storage=self.storage, worker_id=self.worker_id,
                              log=logging.getLogger("workers.jobs"), stopping=self._stop, clock=self.clock)
        committers = [(f"committer-{i + 1}", self._commit_loop) for i in range(s.worker_committers)]
        for name, target in [("heartbeat", self._heartbeat_loop), *committers]:
            t = threading.Thread(target=target, name=f"mv-{name}", daemon=True)
            t.start()
            self._threads.append(t)
        log.info("worker started", extra={"worker": self.worker_id, "sources": sorted(self.handlers),
                                          "concurrency": self.concurrency, "lease_s": s.lease_seconds,
                                          "poll_s": s.poll_interval, "max_attempts": s.max_attempts})
        try:
            self._dispatch_loop()
        finally:
            self._shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.settings.shutdown_grace
        while (self._busy or self._committing) and time.monotonic() < deadline and not self._hurry.is_set():
            time.sleep(0.02)
        if self._held:
            ids = list(self._held)
            released: set[UUID] = set()
            for attempt in range(5):
                try:
                    with self._pool.connection() as conn:
                        released = self.ops.release(conn, ids)
                    break
                except DB_ERRORS as exc:
                    log.warning("could not release jobs; retrying", extra={
                        "worker": self.worker_id, "job_ids": [str(i) for i in ids], "error": str(exc)})
                    time.sleep(min(2.0, 0.2 * 2 ** attempt))
            self.stats["released"] += len(released)
            for jid in ids:
                job = self._held.get(jid)
                if job is not None:
                    log.warning("job released at shutdown" if jid in released else
                                "job could not be released; its lease will expire",
                                extra=job_fields(job, worker=self.worker_id))
        self._stop.set()
        self._hurry.set()  # batches still running past this point only log and leave
        self._closing.set()
        for t in self._threads:
            t.join(timeout=2.0)
        for h in self.handlers.values():
            close = getattr(h, "close", None)
            if close:
                try:
                    close()
                except Exception:
                    log.exception("handler close failed")
        self._drop_dispatcher_conn()
        if self._pool is not None:
            self._pool.close(timeout=2.0)
        with self._pipe_lock:  # a late batch thread must not write into a reused descriptor
            self._pipe_open = False
            os.close(self._wake_r)
            os.close(self._wake_w)
        log.info("worker stopped", extra={"worker": self.worker_id, **self.stats})

    # ------------------------------------------------------------------ dispatcher

    def _dispatcher_conn(self) -> psycopg.Connection:
        """The dispatcher's own connection: LISTENs, and runs the claims (async commit)."""
        if self._dconn is None or self._dconn.closed:
            conn = psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row, connect_timeout=5,
                                   application_name="mv-worker", options="-c synchronous_commit=off")
            conn.execute(f"listen {CHANNEL}")
            self._dconn = conn
        return self._dconn

    def _drop_dispatcher_conn(self) -> None:
        if self._dconn is not None:
            with contextlib.suppress(psycopg.Error):
                self._dconn.close()
            self._dconn = None

    def _wait(self, timeout: float) -> None:
        """Sleep until a notification arrives, another thread pokes us, or ``timeout``."""
        poller = select.poll()  # poll, not select: no FD_SETSIZE limit on descriptor numbers
        poller.register(self._wake_r, select.POLLIN)
        if self._dconn is not None and not self._dconn.closed:
            poller.register(self._dconn.fileno(), select.POLLIN)
        try:
            ready = {fd for fd, _ev in poller.poll(max(0.0, timeout) * 1000)}
        except (OSError, ValueError):
            ready = set()
            time.sleep(min(timeout, 0.05))
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except BlockingIOError:
                pass

    def _dispatch_loop(self) -> None:
        sources = sorted(self.handlers)
        # Sources that may have due jobs. A claim that comes back short removes its source; a
        # notification (payload = source) or the periodic sweep (every poll interval: retries
        # coming due, expired leases) puts it back. Saves a claim round trip per idle source.
        maybe_due = set(sources)
        last_sweep = time.monotonic()
        db_backoff = 0.0
        idle_polls = 0
        while not self._stop.is_set():
            claimed_any = notified = False
            now = time.monotonic()
            if now - last_sweep >= self.settings.poll_interval:
                maybe_due.update(sources)
                last_sweep = now
            try:
                conn = self._dispatcher_conn()
                for i in range(len(sources)):
                    if self._stop.is_set():
                        break
                    source = sources[(self._rr + i) % len(sources)]
                    if self._busy < self.concurrency and source in self._ready:
                        self._start(source, self._ready.pop(source))  # claimed ahead: no claim wait
                        claimed_any = True
                    if source not in maybe_due:
                        continue
                    # One claim for every free slot, plus one batch ahead (so a slot that frees up
                    # starts again without waiting for a claim). A short claim means nothing more is due.
                    free = self.concurrency - self._busy
                    wanted = max(0, free) + (0 if source in self._ready else 1)
                    if wanted:
                        batches, full = self._claim(conn, source, wanted)
                        if not full:
                            maybe_due.discard(source)
                        for claimed in batches:
                            claimed_any = True
                            if self._busy < self.concurrency:
                                self._start(source, claimed)
                            else:
                                claimed.ahead = True
                                self._ready[source] = claimed
                self._rr += 1
                # Drain notifications, including those that arrived during the claims (an insert
                # committed after our snapshot): if any, claim again before sleeping.
                for note in conn.notifies(timeout=0):
                    if note.payload in self.handlers:
                        maybe_due.add(note.payload)
                        notified = True
                    elif not note.payload:
                        maybe_due.update(sources)
                        notified = True
                db_backoff = 0.0
            except DB_ERRORS as exc:
                self._drop_dispatcher_conn()
                maybe_due.update(sources)
                db_backoff = min(5.0, max(0.1, db_backoff * 2))
                log.warning("database unavailable; retrying", extra={
                    "worker": self.worker_id, "error": str(exc).strip()[:300], "retry_in_s": db_backoff})
                self._wait(db_backoff)
                continue
            if claimed_any or notified:
                idle_polls = 0
                if any(self._busy < self.concurrency or s not in self._ready for s in maybe_due):
                    continue  # there may be more due jobs
            elif self._idle_exit and self._busy == 0 and self._committing == 0 and not self._ready:
                idle_polls += 1
                maybe_due.update(sources)
                if idle_polls >= 2:
                    break
            timeout = min(self.settings.poll_interval, 0.2) if self._idle_exit else self.settings.poll_interval
            self._wait(max(0.0, min(timeout, last_sweep + self.settings.poll_interval - time.monotonic())))

    def _claim(self, conn: psycopg.Connection, source: str, batches: int = 1) -> tuple[list[Claimed], bool]:
        """Claim up to ``batches`` batches of ``source`` in one statement (held from now on).

        Returns the batches (split by the handler's batch size) and whether the claim came back full.
        """
        handler = self.handlers[source]
        size = max(1, min(int(getattr(handler, "batch_size", 1)), self.settings.claim_batch))
        n = size * max(1, batches)
        claimed = self.ops.claim(conn, source, n, set_async=False)
        full = len(claimed.jobs) + len(claimed.given_up) >= n
        for row in claimed.given_up:
            log.error("job failed: attempts exhausted",
                      extra=job_fields(row, status="failed", worker=self.worker_id, error=row["error_message"]))
        if claimed.given_up:
            self._emit_events([r["id"] for r in claimed.given_up if r["music_video_id"]])
        if not claimed.jobs:
            return [], full
        self.stats["claimed"] += len(claimed.jobs)
        with self._lock:
            for j in claimed.jobs:
                self._held[j.id] = j
        if log.isEnabledFor(logging.DEBUG):
            for j in claimed.jobs:
                log.debug("job claimed", extra=job_fields(j, worker=self.worker_id))
        return [Claimed(source, claimed.jobs[i:i + size], [], claimed.paused_until)
                for i in range(0, len(claimed.jobs), size)], full

    def _start(self, source: str, claimed: Claimed) -> None:
        with self._lock:
            self._busy += 1
        t = threading.Thread(target=self._run_batch, args=(source, self.handlers[source], claimed), daemon=True,
                             name=f"mv-batch-{source}")
        t.start()

    def _emit_events(self, ids: list[UUID]) -> None:
        if not ids:
            return
        with self._pool.connection() as conn, conn.transaction():
            events = record_sync_events(conn, ids)
        self._log_events(events)

    @staticmethod
    def _log_events(events: Iterable[Mapping[str, Any]]) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        for e in events:
            log.info("music_video.metrics_synced", extra={
                "event": "music_video.metrics_synced", "video": e.get("music_video_id"),
                "sources": e.get("sources"), "counts": e.get("counts"), "statuses": e.get("statuses"),
                "duration_ms": e.get("duration_ms"), "sync_id": e.get("sync_id")})

    # ------------------------------------------------------------------ one batch

    def _run_batch(self, source: str, handler: Handler, claimed: Claimed) -> None:
        """Run the handler, then hand the outcomes to the committer and free the slot at once."""
        t0 = time.monotonic()
        jobs = claimed.jobs
        queued = False
        try:
            outcomes = self._call_handler(source, handler, claimed)
            resolved = self._resolve(jobs, outcomes)
            with self._lock:
                self._committing += 1
            self._commit_q.put((resolved, t0))
            queued = True
        except Exception:  # a bug in the runtime itself: never lose the jobs silently
            log.exception("batch crashed; jobs will be retried after their lease expires",
                          extra={"source": source, "job_ids": [str(j.id) for j in jobs],
                                 "worker": self.worker_id})
        finally:
            with self._lock:
                if not queued:
                    for j in jobs:
                        self._held.pop(j.id, None)
                        self._lost.discard(j.id)
                self._busy -= 1
            self.stats["batches"] += 1
            self._poke()

    def _source_pause(self, source: str, claimed: Claimed) -> tuple[datetime, str] | None:
        """A pause of the source that began after this batch was claimed (here or by another worker)."""
        pause = self._paused.get(source)
        if pause is None and claimed.ahead:
            try:
                with self._pool.connection() as conn:
                    row = conn.execute("select paused_until, reason from private.worker_source_pauses"
                                       " where source = %s and paused_until > now()", (source,)).fetchone()
                pause = (row["paused_until"], row["reason"]) if row else None
            except DB_ERRORS:
                pause = None  # the handler's own call will tell
        return pause

    def _call_handler(self, source: str, handler: Handler, claimed: Claimed) -> list[JobOutcome]:
        jobs = claimed.jobs
        now = self.clock()
        pause = self._source_pause(source, claimed)
        if pause is not None and pause[0] > now:
            # Paused since the claim (quota): no call; wait for the reset like the pending jobs.
            return [JobOutcome.defer(j, pause[0], f"deferred until {pause[0].isoformat()}: {pause[1]}")
                    for j in jobs]
        if claimed.paused_until is not None and claimed.paused_until > now:
            # Taken-over jobs of a paused source: no call, wait for the pause like the others.
            return [JobOutcome.defer(j, claimed.paused_until, f"{source} is paused until "
                                     f"{claimed.paused_until.isoformat()}") for j in jobs]
        try:
            outcomes = list(handler.process(self.ctx, jobs))
        except QuotaExceeded as exc:
            self._paused[source] = (exc.retry_at, str(exc))
            try:
                with self._pool.connection() as conn:
                    deferred = self.ops.pause_source(conn, source, exc.retry_at, str(exc))
            except DB_ERRORS as db_exc:  # the jobs in hand are still deferred by their outcomes
                deferred = -1
                log.warning("could not record the source pause", extra={"source": source,
                                                                        "error": str(db_exc)})
            log.warning("source quota exceeded; every pending job deferred", extra={
                "source": source, "until": exc.retry_at.isoformat(), "pending_deferred": deferred,
                "job_ids": [str(j.id) for j in jobs], "worker": self.worker_id})
            return [JobOutcome.defer(j, exc.retry_at, str(exc)) for j in jobs]
        except TransientSourceError as exc:
            return [JobOutcome.retry(j, str(exc), retry_after=exc.retry_after) for j in jobs]
        except (PermanentSourceError, ConfigError) as exc:
            return [JobOutcome.failed(j, str(exc)) for j in jobs]
        except Exception as exc:
            log.exception("handler raised an unexpected error", extra={
                "source": source, "job_ids": [str(j.id) for j in jobs], "worker": self.worker_id})
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return [JobOutcome.retry(j, f"unexpected error in the {source} handler: {tb}") for j in jobs]
        by_id = {o.job_id: o for o in outcomes}
        for j in jobs:
            if j.id not in by_id:
                outcomes.append(JobOutcome.retry(j, f"the {source} handler returned no outcome for this job"))
        return outcomes

    def _resolve(self, jobs: Sequence[Job], outcomes: Sequence[JobOutcome]) -> list[_Resolved]:
        s = self.settings
        by_id = {j.id: j for j in jobs}
        now = self.clock()
        out: list[_Resolved] = []
        for o in outcomes:
            job = by_id.get(o.job_id)
            if job is None:
                log.warning("handler returned an outcome for a job it was not given",
                            extra={"job_id": str(o.job_id), "worker": self.worker_id})
                continue
            meta = {**o.metadata, "worker": self.worker_id}
            attempt_error = None
            samples = [s_ if s_.import_batch_id == job.id else _with_batch(s_, job.id) for s_ in o.samples]
            if o.status in ("failed", "partially_failed", "retry", "defer"):
                attempt_error = {"attempt": job.attempts, "at": now.isoformat(), "outcome": o.status,
                                 "error": o.error, "worker": self.worker_id}
            if o.status in TERMINAL:
                out.append(_Resolved(job, o.status, o.error, meta, attempt_error, None, None, 0, samples))
            elif o.status == "defer":
                out.append(_Resolved(job, "pending", o.error, meta, attempt_error, o.run_after, None, 1))
            elif o.status == "retry":
                if job.attempts >= job.max_attempts:
                    msg = f"gave up after {job.attempts} attempts: {o.error}"
                    out.append(_Resolved(job, "failed", msg, meta, attempt_error, None, None, 0))
                elif o.run_after is not None:
                    msg = (f"attempt {job.attempts} of {job.max_attempts} failed: {o.error}; "
                           f"next try at {o.run_after.isoformat(timespec='seconds')}")
                    out.append(_Resolved(job, "pending", msg, meta, attempt_error, o.run_after, None, 0))
                else:
                    delay = backoff_delay(job.attempts, s.backoff_base, s.backoff_max, minimum=o.retry_after)
                    msg = (f"attempt {job.attempts} of {job.max_attempts} failed: {o.error}; "
                           f"retrying in {delay:.0f}s")
                    out.append(_Resolved(job, "pending", msg, meta, attempt_error, None, delay, 0))
            else:
                raise ValueError(f"unknown outcome status {o.status!r}")
        return out

    def _commit_loop(self) -> None:
        """The committer: finishes every batch waiting, several at once, in one transaction.

        Completions are batched across batches (one durable commit for all that finished
        meanwhile), and a slot starts its next batch while the previous one commits.
        """
        while True:
            try:
                first = self._commit_q.get(timeout=0.1)
            except queue.Empty:
                if self._closing.is_set():
                    break
                continue
            items = [first]
            njobs = len(first[0])
            while njobs < 2000:
                try:
                    item = self._commit_q.get_nowait()
                except queue.Empty:
                    break
                items.append(item)
                njobs += len(item[0])
            try:
                self._commit(items)
            except Exception:
                log.exception("could not record job outcomes; their leases will expire",
                              extra={"job_ids": [str(r.job.id) for it in items for r in it[0]],
                                     "worker": self.worker_id})
            finally:
                with self._lock:
                    for resolved, _t0 in items:
                        for r in resolved:
                            self._held.pop(r.job.id, None)
                            self._lost.discard(r.job.id)
                    self._committing -= len(items)
                self._poke()

    def _commit(self, items: list[tuple[list[_Resolved], float]]) -> None:
        resolved = [r for it, _t0 in items for r in it]
        try:
            result = self._finish_retrying(resolved)
        except psycopg.Error as exc:  # not the connection: something in the data itself
            if len(items) > 1:  # find the batch at fault; commit the others
                for item in items:
                    self._commit([item])
                return
            log.error("storing the job results failed", extra={
                "job_ids": [str(r.job.id) for r in resolved], "error": str(exc), "worker": self.worker_id})
            failed = [_Resolved(r.job, "failed", f"the results could not be stored: {exc}".strip(), r.meta,
                                {"attempt": r.job.attempts, "outcome": "failed", "error": str(exc)},
                                None, None, 0) for r in resolved]
            result = self._finish_retrying(failed)
            resolved = failed
            items = [(failed, items[0][1])]
        if result is None:
            return
        rows, events = result
        done = {r["id"]: r for r in rows}
        self.stats["finished"] += len(done)
        now = time.monotonic()
        for batch, t0 in items:
            duration = now - t0
            for r in batch:
                row = done.get(r.job.id)
                if row is None:
                    self.stats["lost"] += 1
                    log.warning("job outcome discarded: the job is no longer held by this worker (lease lost)",
                                extra=job_fields(r.job, duration=duration, outcome=r.status, worker=self.worker_id))
                    continue
                level = logging.INFO if r.status in ("succeeded", "pending") else logging.WARNING
                if r.status == "failed":
                    level = logging.ERROR
                if not log.isEnabledFor(level):
                    continue
                log.log(level, f"job {row['status']}", extra=job_fields(
                    r.job, duration=duration, status=row["status"], error=r.error, worker=self.worker_id,
                    run_after=row["run_after"].isoformat() if row["status"] == "pending" else None,
                    samples=len(r.samples)))
        self._log_events(events)

    def _finish_retrying(self, resolved: list[_Resolved]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        """One finishing transaction; on a lost database retry until it is back (or shutdown hurries us)."""
        backoff = 0.1
        while True:
            try:
                with self._pool.connection() as conn:
                    rows, _counts, events = self.ops.finish(conn, resolved)
                return rows, events
            except PoolClosed:
                log.warning("worker stopped before the job outcomes were recorded; leases will expire",
                            extra={"job_ids": [str(r.job.id) for r in resolved], "worker": self.worker_id})
                return None
            except DB_ERRORS as exc:
                if self._hurry.is_set():
                    log.warning("could not record job outcomes before shutdown; leases will expire",
                                extra={"job_ids": [str(r.job.id) for r in resolved], "error": str(exc)})
                    return None
                log.warning("database unavailable while finishing jobs; retrying", extra={
                    "job_ids": [str(r.job.id) for r in resolved], "error": str(exc).strip()[:300],
                    "retry_in_s": backoff, "worker": self.worker_id})
                time.sleep(backoff)
                backoff = min(5.0, backoff * 2)

    # ------------------------------------------------------------------ background threads

    def _heartbeat_loop(self) -> None:
        interval = max(0.05, self.settings.lease_seconds / 3)
        while not self._closing.wait(interval):
            with self._lock:
                ids = [i for i in self._held if i not in self._lost]
            if not ids:
                continue
            try:
                with self._pool.connection() as conn:
                    kept = self.ops.heartbeat(conn, ids)
            except DB_ERRORS as exc:
                log.warning("lease renewal failed; retrying", extra={
                    "worker": self.worker_id, "error": str(exc).strip()[:200], "job_ids": [str(i) for i in ids]})
                continue
            except PoolClosed:
                break
            lost = set(ids) - kept
            if lost:
                with self._lock:
                    self._lost |= lost
                for jid in lost:
                    job = self._held.get(jid)
                    if job is not None:
                        log.warning("lease lost: another worker may have taken the job over",
                                    extra=job_fields(job, worker=self.worker_id))


def _with_batch(sample: MetricSample, job_id: UUID) -> MetricSample:
    from dataclasses import replace

    return replace(sample, import_batch_id=job_id)
