"""Source pauses (quota): recording one for every worker, and seeing one before a batch's call.

``QuotaExceeded`` pauses the source for every worker (``private.worker_source_pauses``) and, in
the same transaction, moves all its pending jobs to the reset time (:data:`~.statements.PAUSE_SQL`).
A batch claimed ahead of a free slot re-checks the pause before its call: this worker's own pause
at once, another worker's through a look-up shared by the source's batches for
:attr:`SourcePauses.CHECK_S` seconds. docs/queue.md, "Quota".
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from psycopg_pool import ConnectionPool

from workers.errors import QuotaExceeded
from workers.queue.handler import Job
from workers.queue.statements import DB_ERRORS, Claimed, QueueOps
from workers.telemetry import QUOTA_PAUSES

__all__ = ["SourcePauses"]

log = logging.getLogger("workers.queue")

# The pause of one source: (paused until, reason).
Pause = tuple[datetime, str]


class SourcePauses:
    """The pauses this worker recorded or looked up, per source (thread-safe enough: each entry is
    replaced whole, and a stale read only costs one look-up or one call)."""

    CHECK_S = 0.5  # how long one look-up of another worker's pause serves a source's batches
    WAIT_S = 5.0  # at most this long for the look-up another slot is making (then: no pause known)

    def __init__(self, ops: QueueOps) -> None:
        self.ops = ops
        self._paused: dict[str, Pause] = {}  # recorded here
        self._checked: dict[str, tuple[float, Pause | None]] = {}  # source -> (when looked up, pause)
        self._flights: dict[str, threading.Event] = {}  # source -> its look-up in progress
        self._lock = threading.Lock()

    def since_claim(self, source: str, claimed: Claimed, pool: ConnectionPool) -> Pause | None:
        """A pause of the source that began after this batch was claimed (here or by another worker).

        Only batches claimed ahead look another worker's pause up, at most once per ``CHECK_S`` per
        source (a round of batches ahead would otherwise add a query to every batch), and one slot
        at a time: the others wait for its answer.
        """
        pause = self._paused.get(source)
        if pause is not None or not claimed.ahead:
            return pause
        with self._lock:
            checked_at, pause = self._checked.get(source, (-1e9, None))
            if time.monotonic() - checked_at < self.CHECK_S:
                return pause
            # One look-up at a time per source: the slots of a round reach it together, and each
            # made its own (8 queries at once, 7-11 ms each on 2 busy cores, before their calls).
            flight = self._flights.get(source)
            mine = flight is None
            if mine:
                flight = self._flights[source] = threading.Event()
        if not mine:
            flight.wait(self.WAIT_S)
            checked_at, pause = self._checked.get(source, (-1e9, None))
            return pause if time.monotonic() - checked_at < self.CHECK_S else None  # failed: the call will tell
        try:
            with pool.connection() as conn:
                row = conn.execute("select paused_until, reason from private.worker_source_pauses"
                                   " where source = %s and paused_until > now()", (source,)).fetchone()
            pause = (row["paused_until"], row["reason"]) if row else None
        except DB_ERRORS:
            return None  # the handler's own call will tell
        else:
            self._checked[source] = (time.monotonic(), pause)
            return pause
        finally:
            with self._lock:
                self._flights.pop(source, None)
            flight.set()

    def claimed_unpaused(self, source: str, at: float) -> None:
        """A claim sent at ``at`` (``time.monotonic()``) took jobs of ``source`` and found it not paused
        (its statement reads the pauses too): it renews the look-up of :meth:`since_claim`, if one
        was made (the first batch ahead after a quiet spell still looks up a pause recorded after
        its claim). A large sync claims every few hundred milliseconds, so its batches ahead need
        no further look-up; before, every slot of a round found the shared look-up expired at about
        the same moment and each made it, a round trip on the way to its call
        (``bench_queue.py --yt-trace``: gaps of 2-17 ms every half second)."""
        checked = self._checked.get(source)
        if checked is not None and checked[1] is None and at > checked[0]:
            self._checked[source] = (at, None)

    def paused(self, source: str, now: datetime) -> bool:
        """Whether this worker knows the source to be paused at ``now`` (recorded or looked up)."""
        pause = self._paused.get(source) or self._checked.get(source, (0.0, None))[1]
        return pause is not None and pause[0] > now

    def record(self, source: str, exc: QuotaExceeded, jobs: list[Job], pool: ConnectionPool) -> None:
        """Quota: pause the source for every worker and defer all its pending jobs."""
        self._paused[source] = (exc.retry_at, str(exc))
        QUOTA_PAUSES.labels(source).inc()
        try:
            with pool.connection() as conn:
                deferred = self.ops.pause_source(conn, source, exc.retry_at, str(exc))
        except DB_ERRORS as db_exc:  # the jobs in hand are still deferred by their outcomes
            deferred = -1
            log.warning("could not record the source pause", extra={"source": source, "error": str(db_exc)})
        log.warning("source quota exceeded; every pending job deferred", extra={
            "source": source, "until": exc.retry_at.isoformat(), "pending_deferred": deferred,
            "job_ids": [str(j.id) for j in jobs], "worker": self.ops.worker_id})
