"""The dispatcher: waits for work (LISTEN/NOTIFY, a self-pipe, polling) and claims it for free slots.

It runs in the worker's main thread on a connection of its own, which LISTENs on
:data:`~workers.queue.statements.CHANNEL` and runs the claims (``synchronous_commit = off``).
It ``poll()``s that socket and a self-pipe together, so a notification reaches a claim without
a thread hop, and finished batches or ``stop()`` wake it by writing a byte to the pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from workers.config import Settings
from workers.events import record_sync_events
from workers.logs import job_fields
from workers.queue.completion import log_events
from workers.queue.handler import Handler, JobContext
from workers.queue.lease import Leases
from workers.queue.pauses import SourcePauses
from workers.queue.statements import CHANNEL, DB_ERRORS, Claimed, QueueOps

__all__ = ["Dispatcher", "Wakeup"]

log = logging.getLogger("workers.queue")


class Wakeup:
    """A self-pipe: ``poke()`` from any thread (or a signal handler) ends a ``wait()``."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._lock = threading.RLock()  # RLock: poke() may run in a signal handler
        self._open = True

    def poke(self) -> None:
        with self._lock:
            if self._open:
                # BlockingIOError: the pipe is full, so a wake-up is pending anyway.
                with contextlib.suppress(BlockingIOError):
                    os.write(self._w, b"!")

    def wait(self, timeout: float, conn: psycopg.Connection | None = None) -> None:
        """Sleep until poked, until ``conn``'s socket is readable (a notification), or ``timeout``."""
        poller = select.poll()  # poll, not select: no FD_SETSIZE limit on descriptor numbers
        poller.register(self._r, select.POLLIN)
        if conn is not None and not conn.closed:
            poller.register(conn.fileno(), select.POLLIN)
        try:
            ready = {fd for fd, _ev in poller.poll(max(0.0, timeout) * 1000)}
        except (OSError, ValueError):
            ready = set()
            time.sleep(min(timeout, 0.05))
        if self._r in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(self._r, 4096):
                    pass

    def close(self) -> None:
        with self._lock:  # a late batch thread must not write into a reused descriptor
            self._open = False
            os.close(self._r)
            os.close(self._w)


class Dispatcher:
    """Claims due jobs for the worker's free slots and hands them to ``start(source, claimed)``."""

    def __init__(self, settings: Settings, conninfo: str, ops: QueueOps, handlers: Mapping[str, Handler],
                 leases: Leases, stats: dict[str, int], *, stop: threading.Event,
                 pauses: SourcePauses | None = None) -> None:
        self.settings = settings
        self.conninfo = conninfo
        self.ops = ops
        self.handlers = handlers
        self.leases = leases
        self.stats = stats
        self.stop = stop
        self.wakeup = Wakeup()
        # Per source, up to one round of batches (``ahead``) claimed while every slot is busy, so a
        # slot that frees up starts its next batch at once instead of waiting for a claim.
        self.ready: dict[str, deque[Claimed]] = {s: deque() for s in handlers}
        self.ahead = 0
        self._conn: psycopg.Connection | None = None
        self._rr = 0
        self.pauses = pauses
        self.ctx: JobContext | None = None  # the handlers' context, set by the worker once it runs

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def connection(self) -> psycopg.Connection:
        """The dispatcher's own connection: LISTENs, and runs the claims (async commit)."""
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row, connect_timeout=5,
                                   application_name="mv-worker", options="-c synchronous_commit=off")
            conn.execute(f"listen {CHANNEL}")
            self._conn = conn
        return self._conn

    def next_ready(self, source: str) -> Claimed | None:
        """A batch of ``source`` claimed ahead, for a slot that just finished one of that source;
        none while another source has batches waiting (the dispatcher shares the slots out)."""
        if any(q for s, q in self.ready.items() if s != source):
            return None
        return self._pop(source)

    def _pop(self, source: str) -> Claimed | None:
        try:  # the slots pop too: a check-then-pop could find the deque emptied meanwhile
            return self.ready[source].popleft()
        except IndexError:
            return None

    REFILL_AT = 0.75  # the batches ahead are refilled once this share of a round is left

    def _refill(self, ready: deque[Claimed]) -> bool:
        """Whether to refill the batches ahead: once a quarter of them are gone. At half (as before),
        under load a 10,000-video sync ran dry while the refill claim ran, and slots waited for it."""
        return len(ready) <= self.REFILL_AT * self.ahead

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def run(self, *, free: Callable[[], int], start: Callable[[str, Claimed], None], ahead: int,
            idle: Callable[[], bool], exit_when_idle: bool, pool: ConnectionPool,
            on_idle: Callable[[], None] | None = None) -> None:
        """Loop until ``stop`` is set (or, with ``exit_when_idle``, until nothing is due and ``idle()``).

        ``free()`` counts the free slots; ``ahead`` batches per source are claimed ahead of them.
        ``on_idle()`` runs when a round found nothing and ``idle()`` holds (no batch in a handler,
        no outcome waiting for the committer).
        """
        self.ahead = ahead
        sources = sorted(self.handlers)
        poll = self.settings.poll_interval
        # Sources that may have due jobs. A claim that comes back short removes its source; a
        # notification (payload = source) or the periodic sweep (every poll interval: retries
        # coming due, expired leases) puts it back. Saves a claim round trip per idle source.
        maybe_due = set(sources)
        last_sweep = time.monotonic()
        db_backoff = 0.0
        idle_polls = 0
        while not self.stop.is_set():
            claimed_any = notified = False
            now = time.monotonic()
            if now - last_sweep >= poll:
                maybe_due.update(sources)
                last_sweep = now
            try:
                conn = self.connection()
                for i in range(len(sources)):
                    if self.stop.is_set():
                        break
                    source = sources[(self._rr + i) % len(sources)]
                    ready = self.ready[source]
                    while free() > 0 and (batch := self._pop(source)) is not None:
                        start(source, batch)  # claimed ahead: no claim wait
                        claimed_any = True
                    if source not in maybe_due:
                        continue
                    # First a claim for the free slots (they start at once), then one that refills the
                    # batches ahead once half of them are gone (fewer, larger claims: a claim's cost is
                    # mostly per statement). A claim that comes back short means nothing more is due.
                    for phase in ("free", "ahead"):
                        wanted = free() if phase == "free" else \
                            self.ahead - len(ready) if self._refill(ready) else 0
                        if wanted <= 0 or source not in maybe_due:
                            continue
                        batches, full = self.claim(conn, source, wanted, pool)
                        if not full:
                            maybe_due.discard(source)
                        for claimed in batches:
                            claimed_any = True
                            if free() > 0:
                                start(source, claimed)
                            else:
                                claimed.ahead = True
                                ready.append(claimed)
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
                self.close()
                maybe_due.update(sources)
                db_backoff = min(5.0, max(0.1, db_backoff * 2))
                log.warning("database unavailable; retrying", extra={
                    "worker": self.ops.worker_id, "error": str(exc).strip()[:300], "retry_in_s": db_backoff})
                self.wakeup.wait(db_backoff)
                continue
            if claimed_any or notified:
                idle_polls = 0
                if any(free() > 0 or self._refill(self.ready[s]) for s in maybe_due):
                    continue  # there may be more due jobs
            else:
                if on_idle is not None and idle():
                    on_idle()  # housekeeping while nothing is in hand (the raw payload spool)
                if exit_when_idle and idle() and not any(self.ready.values()):
                    idle_polls += 1
                    maybe_due.update(sources)
                    if idle_polls >= 2:
                        break
            timeout = min(poll, 0.2) if exit_when_idle else poll
            self.wakeup.wait(max(0.0, min(timeout, last_sweep + poll - time.monotonic())), self._conn)

    def claim(self, conn: psycopg.Connection, source: str, batches: int,
              pool: ConnectionPool) -> tuple[list[Claimed], bool]:
        """Claim up to ``batches`` batches of ``source`` in one statement (held from now on).

        Returns the batches (split by the handler's batch size) and whether the claim came back full.
        """
        handler = self.handlers[source]
        size = max(1, min(int(getattr(handler, "batch_size", 1)), self.settings.claim_batch))
        n = size * max(1, batches)
        sent = time.monotonic()
        claimed = self.ops.claim(conn, source, n, set_async=False)
        if claimed.jobs and claimed.paused_until is None and self.pauses is not None:
            self.pauses.claimed_unpaused(source, sent)
        full = len(claimed.jobs) + len(claimed.given_up) >= n
        worker = self.ops.worker_id
        for row in claimed.given_up:
            log.error("job failed: attempts exhausted",
                      extra=job_fields(row, status="failed", worker=worker, error=row["error_message"]))
        given_up = [r["id"] for r in claimed.given_up if r["music_video_id"]]
        if given_up:
            with pool.connection() as pconn, pconn.transaction():
                events = record_sync_events(pconn, given_up)
            log_events(events)
        if not claimed.jobs:
            return [], full
        self.stats["claimed"] += len(claimed.jobs)
        self.leases.hold(claimed.jobs)
        if log.isEnabledFor(logging.DEBUG):
            for j in claimed.jobs:
                log.debug("job claimed", extra=job_fields(j, worker=worker))
        batches = [Claimed(source, claimed.jobs[i:i + size], [], claimed.paused_until)
                   for i in range(0, len(claimed.jobs), size)]
        self.prepare(source, batches)
        return batches, full

    def prepare(self, source: str, batches: list[Claimed]) -> None:
        """The handler's optional ``prepare`` for a claim's batches (docs/queue.md), unless the source
        is paused (those batches are deferred without a call). Its failure is logged; the batches run
        anyway, their ``process`` doing the same work."""
        prepare = getattr(self.handlers[source], "prepare", None)
        if prepare is None or self.ctx is None:
            return
        now = self.ctx.now()
        runnable = [c.jobs for c in batches if c.paused_until is None or c.paused_until <= now]
        if not runnable or (self.pauses is not None and self.pauses.paused(source, now)):
            return
        try:
            prepare(self.ctx, runnable)
        except Exception as exc:
            log.warning("handler prepare failed", extra={"source": source, "worker": self.ops.worker_id,
                                                         "error": str(exc).strip()[:300]})
