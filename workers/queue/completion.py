"""From a handler's return to the committed outcome: resolving outcomes, and the committer.

:func:`call_handler` turns whatever the handler did (outcomes, or one of the source error
classes) into one outcome per job; :func:`resolve` turns outcomes into rows for the finish
statement (retry with backoff, give up after the last attempt, defer without counting the
attempt); :class:`Committer` finishes batches: outcomes, the batch's metric upsert and the
``metrics_synced`` events in one durable transaction per commit.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import random
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed

from workers.config import Settings
from workers.errors import ConfigError, PermanentSourceError, QuotaExceeded, TransientSourceError
from workers.logs import job_fields
from workers.queue.handler import Handler, Job, JobContext, JobOutcome
from workers.queue.statements import DB_ERRORS, TERMINAL, QueueOps, Resolved
from workers.telemetry import JOB_DURATION, JOBS_FINISHED

__all__ = ["Committer", "backoff_delay", "call_handler", "call_handler_split", "log_events", "resolve",
           "resolve_later"]

log = logging.getLogger("workers.queue")


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


def _guarded(source: str, worker: str, jobs: Sequence[Job], on_quota: Callable[[QuotaExceeded], None],
             run: Callable[[], Any]) -> Any:
    """``run()``'s result; an exception of the handler becomes outcomes for the whole batch."""
    try:
        return run()
    except QuotaExceeded as exc:
        on_quota(exc)
        return [JobOutcome.defer(j, exc.retry_at, str(exc)) for j in jobs]
    except TransientSourceError as exc:
        return [JobOutcome.retry(j, str(exc), retry_after=exc.retry_after) for j in jobs]
    except (PermanentSourceError, ConfigError) as exc:
        return [JobOutcome.failed(j, str(exc)) for j in jobs]
    except Exception as exc:
        log.exception("handler raised an unexpected error", extra={
            "source": source, "job_ids": [str(j.id) for j in jobs], "worker": worker})
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return [JobOutcome.retry(j, f"unexpected error in the {source} handler: {tb}") for j in jobs]


def _every_job(source: str, jobs: Sequence[Job], outcomes: Iterable[JobOutcome]) -> list[JobOutcome]:
    """The outcomes, and a retry for each job the handler left out."""
    outcomes = list(outcomes)
    by_id = {o.job_id: o for o in outcomes}
    for j in jobs:
        if j.id not in by_id:
            outcomes.append(JobOutcome.retry(j, f"the {source} handler returned no outcome for this job"))
    return outcomes


def call_handler(source: str, handler: Handler, ctx: JobContext, jobs: Sequence[Job], *,
                 on_quota: Callable[[QuotaExceeded], None]) -> list[JobOutcome]:
    """Run the handler; its exceptions become outcomes for the whole batch, and a job it left
    out is retried. ``on_quota`` records a quota pause before the batch is deferred."""
    return _every_job(source, jobs, _guarded(source, ctx.worker_id, jobs, on_quota,
                                             lambda: list(handler.process(ctx, jobs))))


def call_handler_split(source: str, handler: Handler, ctx: JobContext, jobs: Sequence[Job], *,
                       on_quota: Callable[[QuotaExceeded], None]
                       ) -> list[JobOutcome] | Callable[[], list[JobOutcome]]:
    """:func:`call_handler` for a handler with ``call(ctx, jobs)`` (the part up to and including its
    network call; it returns the outcomes, or a function giving them from the answer): the
    outcomes now, or that function, to be run elsewhere (the committer) with the same rules."""
    done = _guarded(source, ctx.worker_id, jobs, on_quota, lambda: handler.call(ctx, jobs))
    if not callable(done):
        return _every_job(source, jobs, done)
    return lambda: _every_job(source, jobs, _guarded(source, ctx.worker_id, jobs, on_quota, lambda: list(done())))


def resolve_later(jobs: Sequence[Job], outcomes: Callable[[], list[JobOutcome]], *, settings: Settings,
                  worker_id: str, clock: Callable[[], datetime],
                  crashed: Callable[[Iterable[Any]], None]) -> Callable[[], list[Resolved]]:
    """A split batch's outcomes (``call_handler_split``'s function), resolved when the committer runs
    it. A crash here is the runtime's own bug, handled as in the slot: logged, and the jobs handed to
    ``crashed`` (their ids: no longer held, left to their lease)."""
    def run() -> list[Resolved]:
        try:
            return resolve(jobs, outcomes(), settings=settings, worker_id=worker_id, now=clock())
        except Exception:
            log.exception("batch crashed; jobs will be retried after their lease expires", extra={
                "source": jobs[0].source if jobs else None, "job_ids": [str(j.id) for j in jobs],
                "worker": worker_id})
            crashed([j.id for j in jobs])
            return []
    return run


def resolve(jobs: Sequence[Job], outcomes: Sequence[JobOutcome], *, settings: Settings, worker_id: str,
            now: datetime) -> list[Resolved]:
    """Outcomes -> finish rows. ``retry`` backs off until the job's last attempt, then fails with
    "gave up after N attempts"; ``defer`` refunds the attempt; every non-success is appended to
    ``metadata.attempt_errors``."""
    by_id = {j.id: j for j in jobs}
    out: list[Resolved] = []
    for o in outcomes:
        job = by_id.get(o.job_id)
        if job is None:
            log.warning("handler returned an outcome for a job it was not given",
                        extra={"job_id": str(o.job_id), "worker": worker_id})
            continue
        meta = {**o.metadata, "worker": worker_id}
        # `is` first: a handler builds its samples with the job's own id (UUID equality is Python code)
        samples = [s if s.import_batch_id is job.id or s.import_batch_id == job.id
                   else dataclasses.replace(s, import_batch_id=job.id) for s in o.samples]
        attempt_error = None
        if o.status in ("failed", "partially_failed", "retry", "defer"):
            attempt_error = {"attempt": job.attempts, "at": now.isoformat(), "outcome": o.status,
                             "error": o.error, "worker": worker_id}
        if o.status in TERMINAL:
            positions = [p if p.import_batch_id == job.id else dataclasses.replace(p, import_batch_id=job.id)
                         for p in o.chart_positions]
            out.append(Resolved(job, o.status, o.error, meta, attempt_error, None, None, 0, samples, positions))
        elif o.status == "defer":
            out.append(Resolved(job, "pending", o.error, meta, attempt_error, o.run_after, None, 1))
        elif o.status == "retry":
            if job.attempts >= job.max_attempts:
                msg = f"gave up after {job.attempts} attempts: {o.error}"
                out.append(Resolved(job, "failed", msg, meta, attempt_error, None, None, 0))
            elif o.run_after is not None:
                msg = (f"attempt {job.attempts} of {job.max_attempts} failed: {o.error}; "
                       f"next try at {o.run_after.isoformat(timespec='seconds')}")
                out.append(Resolved(job, "pending", msg, meta, attempt_error, o.run_after, None, 0))
            else:
                delay = backoff_delay(job.attempts, settings.backoff_base, settings.backoff_max,
                                      minimum=o.retry_after)
                msg = (f"attempt {job.attempts} of {job.max_attempts} failed: {o.error}; "
                       f"retrying in {delay:.0f}s")
                out.append(Resolved(job, "pending", msg, meta, attempt_error, None, delay, 0))
        else:
            raise ValueError(f"unknown outcome status {o.status!r}")
    return out


def log_events(events: Iterable[Mapping[str, Any]]) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    for e in events:
        log.info("music_video.metrics_synced", extra={
            "event": "music_video.metrics_synced", "video": e.get("music_video_id"),
            "sources": e.get("sources"), "counts": e.get("counts"), "statuses": e.get("statuses"),
            "duration_ms": e.get("duration_ms"), "sync_id": e.get("sync_id")})


# A batch's resolved outcomes (or the function that gives them from the handler's answer, run by the
# committer: see Worker._run_one), and when its handler started.
Item = tuple[list[Resolved] | Callable[[], list[Resolved]], float]


class Committer:
    """Finishes batches in background threads: every batch queued since a thread's last commit goes
    in one transaction (one ``UPDATE ... FROM unnest``, one metric upsert, one durable commit).

    ``threads`` committers take turns on the same queue, so the next commit's statements run while
    the previous one waits for its WAL flush (a single committer idled through every fsync and
    became the bottleneck of a large sync). Their transactions touch disjoint jobs; the locks they
    can share (the syncs' advisory locks, the summary flush's) are taken in sorted order.

    ``done(ids)`` is called after each commit attempt with the jobs it covered (held no more).
    """

    MAX_JOBS = 2000  # per commit
    THREADS = 2

    def __init__(self, ops: QueueOps, *, hurry: threading.Event, done: Callable[[list], None],
                 stats: dict[str, int], threads: int | None = None) -> None:
        self.threads = max(1, threads if threads is not None else self.THREADS)
        self.ops = ops
        self.hurry = hurry
        self.done = done
        self.stats = stats
        self.pending = 0  # batches queued or being committed
        self._lock = threading.Lock()
        self._q: queue.Queue[Item] = queue.Queue()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool: ConnectionPool | None = None

    def start(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._threads = [threading.Thread(target=self._loop, name=f"mv-committer-{i}", daemon=True)
                         for i in range(self.threads)]
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._closing.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def put(self, resolved: list[Resolved] | Callable[[], list[Resolved]], t0: float) -> None:
        with self._lock:
            self.pending += 1
        self._q.put((resolved, t0))

    def _loop(self) -> None:
        while True:
            try:
                first = self._q.get(timeout=0.1)
            except queue.Empty:
                if self._closing.is_set():
                    break
                continue
            items = [self._resolved(first)]
            njobs = len(items[0][0])
            while njobs < self.MAX_JOBS:
                try:
                    item = self._resolved(self._q.get_nowait())
                except queue.Empty:
                    break
                items.append(item)
                njobs += len(item[0])
            try:
                self._commit(items)
            except Exception:
                log.exception("could not record job outcomes; their leases will expire",
                              extra={"job_ids": [str(r.job.id) for it in items for r in it[0]],
                                     "worker": self.ops.worker_id})
            finally:
                with self._lock:
                    self.pending -= len(items)
                self.done([r.job.id for resolved, _t0 in items for r in resolved])

    @staticmethod
    def _resolved(item: Item) -> tuple[list[Resolved], float]:
        """The item with its outcomes resolved (a function's raising is the runtime's own bug, caught
        where the function was built)."""
        resolved, t0 = item
        return (resolved() if callable(resolved) else resolved), t0

    def _commit(self, items: list[Item]) -> None:
        resolved = [r for it, _t0 in items for r in it]
        try:
            result = self._finish_retrying(resolved)
        except psycopg.Error as exc:  # not the connection: something in the data itself
            if len(items) > 1:  # find the batch at fault; commit the others
                for item in items:
                    self._commit([item])
                return
            log.error("storing the job results failed", extra={
                "job_ids": [str(r.job.id) for r in resolved], "error": str(exc), "worker": self.ops.worker_id})
            failed = [Resolved(r.job, "failed", f"the results could not be stored: {exc}".strip(), r.meta,
                               {"attempt": r.job.attempts, "outcome": "failed", "error": str(exc)},
                               None, None, 0) for r in resolved]
            result = self._finish_retrying(failed)
            items = [(failed, items[0][1])]
        if result is None:
            return
        rows, events = result
        self._log_finished(items, {r["id"]: r for r in rows})
        log_events(events)

    def _log_finished(self, items: list[Item], done: dict) -> None:
        lost = sum(1 for batch, _t0 in items for r in batch if r.job.id not in done)
        with self._lock:  # the committers share the counters
            self.stats["finished"] += len(done)
            self.stats["lost"] += lost
        now = time.monotonic()
        worker = self.ops.worker_id
        finished: dict[tuple[str, str], int] = {}  # (source, status) -> jobs: one counter update each
        for batch, t0 in items:
            duration = now - t0
            durations = {}  # source -> its histogram child, looked up once a batch
            for r in batch:
                row = done.get(r.job.id)
                if row is not None:
                    key = (r.job.source, row["status"])
                    finished[key] = finished.get(key, 0) + 1
                    if (hist := durations.get(r.job.source)) is None:
                        hist = durations[r.job.source] = JOB_DURATION.labels(r.job.source)
                    hist.observe(duration)
                if row is None:
                    log.warning("job outcome discarded: the job is no longer held by this worker (lease lost)",
                                extra=job_fields(r.job, duration=duration, outcome=r.status, worker=worker))
                    continue
                level = logging.INFO if r.status in ("succeeded", "pending") else logging.WARNING
                if r.status == "failed":
                    level = logging.ERROR
                if not log.isEnabledFor(level):
                    continue
                log.log(level, f"job {row['status']}", extra=job_fields(
                    r.job, duration=duration, status=row["status"], error=r.error, worker=worker,
                    run_after=row["run_after"].isoformat() if row["status"] == "pending" else None,
                    samples=len(r.samples)))
        for (source, status), n in finished.items():
            JOBS_FINISHED.labels(source, status).inc(n)

    def _finish_retrying(self, resolved: list[Resolved]) -> tuple[list[dict], list[dict]] | None:
        """One finishing transaction; on a lost database retry until it is back (or shutdown hurries us)."""
        backoff = 0.1
        ids = [str(r.job.id) for r in resolved]
        while True:
            try:
                with self._pool.connection() as conn:
                    rows, _counts, events = self.ops.finish(conn, resolved)
                return rows, events
            except PoolClosed:
                log.warning("worker stopped before the job outcomes were recorded; leases will expire",
                            extra={"job_ids": ids, "worker": self.ops.worker_id})
                return None
            except DB_ERRORS as exc:
                if self.hurry.is_set():
                    log.warning("could not record job outcomes before shutdown; leases will expire",
                                extra={"job_ids": ids, "error": str(exc)})
                    return None
                log.warning("database unavailable while finishing jobs; retrying", extra={
                    "job_ids": ids, "error": str(exc).strip()[:300], "retry_in_s": backoff,
                    "worker": self.ops.worker_id})
                time.sleep(backoff)
                backoff = min(5.0, backoff * 2)
