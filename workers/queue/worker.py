"""The worker: runs source handlers over the job queue (``music_video_metric_imports``) until stopped.

:class:`Worker` wires the parts together: the dispatcher claims (:mod:`.dispatch`), each slot
runs its batches' handler in a thread of its own, the committer finishes them (:mod:`.completion`),
the heartbeat renews leases (:mod:`.lease`), quota pauses are :mod:`.pauses`; the SQL is in
:mod:`.statements`. docs/queue.md
explains the design: claiming, waking, leases, finishing, retries, quota, shutdown.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from workers.config import Settings
from workers.db import CheckWhenIdle
from workers.errors import ConfigError
from workers.logs import job_fields
from workers.queue import interpreter
from workers.queue.completion import Committer, backoff_delay, call_handler, call_handler_split, resolve, resolve_later
from workers.queue.dispatch import Dispatcher
from workers.queue.handler import Handler, JobContext, JobOutcome
from workers.queue.lease import Leases
from workers.queue.pauses import SourcePauses
from workers.queue.statements import CHANNEL, DB_ERRORS, Claimed, QueueOps
from workers.raw_spool import RawSpool
from workers.storage import StorageError
from workers.telemetry import QUEUE_SQL, serve_worker_metrics

__all__ = ["CHANNEL", "QueueOps", "Worker", "backoff_delay"]

log = logging.getLogger("workers.queue")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs handlers over the queue until stopped (docs/queue.md).

    ``handlers`` maps a source to its :class:`~workers.queue.handler.Handler`; by default every
    registered handler (or ``settings.worker_sources``) less ``settings.worker_skip_sources`` is
    built, and a source this worker cannot serve (no YouTube key, no chart feed) refuses the start.
    ``run()`` blocks; ``stop()`` (or SIGTERM / SIGINT when ``install_signals``) ends it gracefully.
    """

    def __init__(self, settings: Settings, conninfo: str, *, handlers: Mapping[str, Handler] | None = None,
                 storage: Any = None, worker_id: str | None = None, concurrency: int | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        from workers.sources.registry import build_serving_handlers
        from workers.storage import make_storage

        self.settings = settings
        self.conninfo = conninfo
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency or settings.worker_concurrency
        self.handlers: dict[str, Handler] = dict(handlers) if handlers is not None else \
            build_serving_handlers(settings)
        if not self.handlers:
            raise ConfigError("no job handlers to run")
        self.storage = storage if storage is not None else make_storage(settings)
        self.ops = QueueOps(self.worker_id, settings.lease_seconds, settings.max_attempts)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stats = {"claimed": 0, "finished": 0, "batches": 0, "released": 0, "lost": 0}
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._lock = threading.Lock()
        self._busy = 0  # batches in a handler (the concurrency limit)
        self.pauses = SourcePauses(self.ops)
        self.leases = Leases(self.ops, settings.lease_seconds)
        self.committer = Committer(self.ops, hurry=self._hurry, done=self._finished, stats=self.stats)
        self.dispatcher = Dispatcher(settings, conninfo, self.ops, self.handlers, self.leases, self.stats,
                                     stop=self._stop, pauses=self.pauses)
        self._pool: ConnectionPool | None = None
        self.ctx: JobContext | None = None
        self._next_flush = 0.0  # monotonic time of the next raw payload spool flush
        self._metrics_server: Any = None
        self.metrics_port: int | None = None  # where the Prometheus endpoint listens, once running

    # ------------------------------------------------------------------ lifecycle

    def stop(self, *, hurry: bool = False) -> None:
        """Stop claiming; finish jobs in hand within the grace period (or release them at once)."""
        if self._stop.is_set() or hurry:
            self._hurry.set()
        self._stop.set()
        self.dispatcher.wakeup.poke()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("signal received; stopping", extra={"signal": signal.Signals(signum).name,
                                                     "worker": self.worker_id, "in_hand": len(self.leases)})
        self.stop()

    def run(self, *, install_signals: bool = True, exit_when_idle: bool = False) -> int:
        """Run until stopped (or, with ``exit_when_idle``, until nothing is due or in hand)."""
        with interpreter.tuned():  # the switch interval and the garbage collector, for the run
            return self._run(install_signals, exit_when_idle)

    def _run(self, install_signals: bool, exit_when_idle: bool) -> int:
        previous = {}
        if install_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
        s = self.settings
        self._pool = ConnectionPool(
            # Connections for every slot, the committers and the heartbeat, opened in the background.
            self.conninfo, min_size=self.concurrency + 1 + self.committer.threads,
            max_size=self.concurrency + 2 + self.committer.threads,
            name=f"worker-{self.worker_id}",
            open=False, check=(check := CheckWhenIdle()), reset=check.returned, timeout=5.0, reconnect_timeout=3600,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "mv-worker"})
        self._pool.open(wait=False)
        with contextlib.suppress(PoolTimeout):  # claim once the slots have connections (a database
            self._pool.wait(timeout=s.poll_interval)  # that is down is retried by the dispatcher)
        self.ctx = self.dispatcher.ctx = JobContext(
            settings=s, pool=self._pool, storage=self.storage, worker_id=self.worker_id,
            log=logging.getLogger("workers.jobs"), stopping=self._stop, clock=self.clock)
        self.leases.start(self._pool)
        self.committer.start(self._pool)
        if s.worker_metrics_port is not None:
            self._serve_metrics(s.worker_metrics_port)
        log.info("worker started", extra={"worker": self.worker_id, "sources": sorted(self.handlers),
                                          "concurrency": self.concurrency, "lease_s": s.lease_seconds,
                                          "poll_s": s.poll_interval, "max_attempts": s.max_attempts})
        try:
            self.dispatcher.run(free=lambda: self.concurrency - self._busy, start=self._start, ahead=self.concurrency,
                                idle=lambda: self._busy == 0 and self.committer.pending == 0,
                                exit_when_idle=exit_when_idle, pool=self._pool, on_idle=self._on_idle)
        finally:
            self._shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _serve_metrics(self, port: int) -> None:
        """Prometheus metrics on ``port``: this worker's counters and the queue read at each scrape."""
        def fetch() -> list:
            with self._pool.connection() as conn:
                return conn.execute(QUEUE_SQL).fetchall()

        self._metrics_server = serve_worker_metrics(fetch, self.settings.service_host, port)
        self.metrics_port = self._metrics_server.server_port
        log.info("worker metrics served", extra={"worker": self.worker_id, "port": self.metrics_port})

    def _on_idle(self) -> None:
        """Upload raw payloads spooled during a Storage outage (:mod:`workers.raw_spool`).

        Runs while idle, so the jobs naming them are committed; at most once per poll interval,
        and after a failed upload (Storage still down) not again for ten intervals.
        """
        now = time.monotonic()
        if now < self._next_flush or self._pool is None:
            return
        self._next_flush = now + self.settings.poll_interval
        spool = RawSpool(self.settings.raw_spool_dir)
        try:
            if not spool.pending():
                return
            with self._pool.connection() as conn:
                report = spool.flush(self.storage, conn)
        except (StorageError, OSError, psycopg.Error) as exc:
            log.warning("raw payload spool flush failed", extra={"worker": self.worker_id, "error": str(exc)[:300]})
            report = None
        if report is None or report.error:
            self._next_flush = now + 10 * self.settings.poll_interval

    def _shutdown(self) -> None:
        deadline = time.monotonic() + self.settings.shutdown_grace
        while (self._busy or self.committer.pending) and time.monotonic() < deadline and not self._hurry.is_set():
            time.sleep(0.02)
        held = self.leases.held()
        if held:
            self._release(held)
        self._stop.set()
        self._hurry.set()  # batches still running past this point only log and leave
        self.leases.stop()
        self.committer.stop()
        for h in self.handlers.values():
            close = getattr(h, "close", None)
            if close:
                try:
                    close()
                except Exception:
                    log.exception("handler close failed")
        self.dispatcher.close()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server.server_close()
        if self._pool is not None:
            self._pool.close(timeout=2.0)
        self.dispatcher.wakeup.close()
        log.info("worker stopped", extra={"worker": self.worker_id, **self.stats})

    def _release(self, held: dict) -> None:
        """Give the jobs still in hand back (pending, attempt refunded) so another worker runs them."""
        ids = list(held)
        released: set = set()
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
        for jid, job in held.items():
            log.warning("job released at shutdown" if jid in released else
                        "job could not be released; its lease will expire",
                        extra=job_fields(job, worker=self.worker_id))

    # ------------------------------------------------------------------ one batch

    def _start(self, source: str, claimed: Claimed) -> None:
        with self._lock:
            self._busy += 1
        threading.Thread(target=self._run_batch, args=(source, claimed), daemon=True,
                         name=f"mv-batch-{source}").start()

    def _finished(self, ids: list) -> None:
        self.leases.drop(ids)
        self.dispatcher.wakeup.poke()

    def _run_batch(self, source: str, claimed: Claimed | None) -> None:
        """A slot: run the batch, then the source's next batch claimed ahead, in the same thread (no
        hop through the dispatcher, which may be busy claiming), until none is ready or we stop."""
        try:
            while claimed is not None:
                self._run_one(source, claimed)
                claimed = None if self._stop.is_set() else self.dispatcher.next_ready(source)
        finally:
            with self._lock:
                self._busy -= 1
            self.dispatcher.wakeup.poke()

    def _run_one(self, source: str, claimed: Claimed) -> None:
        """Run the handler, then hand the outcomes to the committer (the slot goes on at once). A
        handler with ``call`` hands over the function that reads its answer instead: the committer
        runs it, and the slot goes back to the network without waiting for the parsing."""
        t0 = time.monotonic()
        jobs = claimed.jobs
        queued = False
        try:
            outcomes = self._outcomes(source, claimed)
            if callable(outcomes):  # read by the committer
                self.committer.put(resolve_later(jobs, outcomes, settings=self.settings, worker_id=self.worker_id,
                                                 clock=self.clock, crashed=self.leases.drop), t0)
            else:
                resolved = resolve(jobs, outcomes, settings=self.settings, worker_id=self.worker_id, now=self.clock())
                self.committer.put(resolved, t0)
            queued = True
        except Exception:  # a bug in the runtime itself: never lose the jobs silently
            log.exception("batch crashed; jobs will be retried after their lease expires",
                          extra={"source": source, "job_ids": [str(j.id) for j in jobs], "worker": self.worker_id})
        finally:
            if not queued:
                self.leases.drop(j.id for j in jobs)
            self.stats["batches"] += 1
            self.dispatcher.wakeup.poke()  # the ready batches may need a refill

    def _outcomes(self, source: str, claimed: Claimed) -> list[JobOutcome] | Callable[[], list[JobOutcome]]:
        """The handler's outcomes (or, for a handler with ``call``, possibly the function that gives
        them), or deferrals without a call while the source is paused (quota)."""
        jobs = claimed.jobs
        now = self.clock()
        pause = self.pauses.since_claim(source, claimed, self._pool)
        if pause is not None and pause[0] > now:
            # Paused since the claim (quota): no call; wait for the reset like the pending jobs.
            return [JobOutcome.defer(j, pause[0], f"deferred until {pause[0].isoformat()}: {pause[1]}")
                    for j in jobs]
        if claimed.paused_until is not None and claimed.paused_until > now:
            # Taken-over jobs of a paused source: no call, wait for the pause like the others.
            return [JobOutcome.defer(j, claimed.paused_until, f"{source} is paused until "
                                     f"{claimed.paused_until.isoformat()}") for j in jobs]
        handler = self.handlers[source]
        run = call_handler_split if callable(getattr(handler, "call", None)) else call_handler
        return run(source, handler, self.ctx, jobs,
                   on_quota=lambda exc: self.pauses.record(source, exc, jobs, self._pool))
