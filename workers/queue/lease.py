"""The jobs a worker holds, and the heartbeat thread that renews their leases.

A job is held from its claim until its outcome is committed (or it is released at shutdown).
Every third of a lease (``MV_LEASE_SECONDS``) the heartbeat renews the lease of every held
job in one statement; a job whose renewal comes back empty was taken over by another worker
(our lease had expired) and is marked lost: no further renewal, and its finish will not land.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from uuid import UUID

from psycopg_pool import ConnectionPool, PoolClosed

from workers.logs import job_fields
from workers.queue.handler import Job
from workers.queue.statements import DB_ERRORS, QueueOps

__all__ = ["Leases"]

log = logging.getLogger("workers.queue")


class Leases:
    """The held jobs (thread-safe) and their heartbeat thread."""

    def __init__(self, ops: QueueOps, lease_seconds: float) -> None:
        self.ops = ops
        self.interval = max(0.05, lease_seconds / 3)
        self._lock = threading.Lock()
        self._held: dict[UUID, Job] = {}
        self._lost: set[UUID] = set()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, jobs: Iterable[Job]) -> None:
        with self._lock:
            for j in jobs:
                self._held[j.id] = j

    def drop(self, ids: Iterable[UUID]) -> None:
        """The jobs are finished (or given up on): stop renewing them."""
        with self._lock:
            for i in ids:
                self._held.pop(i, None)
                self._lost.discard(i)

    def held(self) -> dict[UUID, Job]:
        with self._lock:
            return dict(self._held)

    def __len__(self) -> int:
        return len(self._held)

    def start(self, pool: ConnectionPool) -> None:
        self._thread = threading.Thread(target=self._loop, args=(pool,), name="mv-heartbeat", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self, pool: ConnectionPool) -> None:
        while not self._closing.wait(self.interval):
            if self.renew(pool.connection) is None:
                break

    def renew(self, connection: Callable) -> set[UUID] | None:
        """Renew every held lease once; returns the ids lost now (``None``: the pool is closed)."""
        with self._lock:
            ids = [i for i in self._held if i not in self._lost]
        if not ids:
            return set()
        try:
            with connection() as conn:
                kept = self.ops.heartbeat(conn, ids)
        except DB_ERRORS as exc:
            log.warning("lease renewal failed; retrying", extra={
                "worker": self.ops.worker_id, "error": str(exc).strip()[:200], "job_ids": [str(i) for i in ids]})
            return set()
        except PoolClosed:
            return None
        lost = set(ids) - kept
        if lost:
            with self._lock:
                self._lost |= lost
                jobs = [self._held[i] for i in lost if i in self._held]
            for job in jobs:
                log.warning("lease lost: another worker may have taken the job over",
                            extra=job_fields(job, worker=self.ops.worker_id))
        return lost
