"""The contract between the worker runtime and the sources: jobs, outcomes, the handler protocol.

A source's job handler (``workers/sources/<source>/job.py``) implements :class:`Handler`; the
runtime (:mod:`workers.queue.worker`) claims up to ``batch_size`` due jobs of that source and
calls ``process(ctx, jobs)``, which returns one :class:`JobOutcome` per job. Handlers never write
``music_video_metrics`` or the job rows themselves: the runtime commits the outcomes, the samples
(one upsert) and the ``metrics_synced`` events in one transaction. The registry of handlers is
:mod:`workers.sources.registry`; docs/queue.md describes the whole flow.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable
from uuid import UUID

from workers.config import Settings
from workers.metrics import ChartPosition, MetricSample
from workers.raw_spool import RawSpool, pending_ref
from workers.storage import RAW_PAYLOAD_BUCKET, StorageUnavailable

__all__ = ["TERMINAL", "Handler", "HandlerFactory", "Job", "JobContext", "JobOutcome", "PerJobHandler",
           "raw_payload_path"]

TERMINAL = ("succeeded", "failed", "partially_failed")
OutcomeStatus = Literal["succeeded", "failed", "partially_failed", "retry", "defer"]


# --------------------------------------------------------------------------- jobs and outcomes


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed import row, as the handler sees it."""

    id: UUID
    source: str
    music_video_id: UUID | None
    platform: str | None
    attempts: int  # including the current one
    max_attempts: int
    metadata: Mapping[str, Any]
    created_at: datetime
    started_at: datetime | None
    triggered_by: UUID | None = None
    dedupe_key: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        return cls(id=row["id"], source=row["source"], music_video_id=row["music_video_id"],
                   platform=row["platform"], attempts=row["attempts"], max_attempts=row["max_attempts"],
                   metadata=row["metadata"] or {}, created_at=row["created_at"], started_at=row["started_at"],
                   triggered_by=row.get("triggered_by"), dedupe_key=row.get("dedupe_key"))

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


@dataclass(slots=True)
class JobOutcome:
    """What happened to one job. Build it with the class methods."""

    job_id: UUID
    status: OutcomeStatus
    error: str | None = None
    samples: list[MetricSample] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    run_after: datetime | None = None  # defer: when; retry: an explicit time (else backoff)
    retry_after: float | None = None  # retry: the server's hint, a minimum delay in seconds
    # per-chart positions (charts jobs), committed with the samples (workers.metrics)
    chart_positions: list[ChartPosition] = field(default_factory=list)

    @classmethod
    def succeeded(cls, job: Job, samples: Iterable[MetricSample] = (),
                  metadata: Mapping[str, Any] | None = None, *,
                  chart_positions: Iterable[ChartPosition] = ()) -> JobOutcome:
        return cls(job.id, "succeeded", samples=list(samples), metadata=dict(metadata or {}),
                   chart_positions=list(chart_positions))

    @classmethod
    def partially_failed(cls, job: Job, error: str, samples: Iterable[MetricSample] = (),
                         metadata: Mapping[str, Any] | None = None, *,
                         chart_positions: Iterable[ChartPosition] = ()) -> JobOutcome:
        return cls(job.id, "partially_failed", error=error, samples=list(samples),
                   metadata=dict(metadata or {}), chart_positions=list(chart_positions))

    @classmethod
    def failed(cls, job: Job, error: str, metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        return cls(job.id, "failed", error=error, metadata=dict(metadata or {}))

    @classmethod
    def retry(cls, job: Job, error: str, *, at: datetime | None = None, retry_after: float | None = None,
              metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        return cls(job.id, "retry", error=error, run_after=at, retry_after=retry_after,
                   metadata=dict(metadata or {}))

    @classmethod
    def defer(cls, job: Job, until: datetime, reason: str,
              metadata: Mapping[str, Any] | None = None) -> JobOutcome:
        if until.tzinfo is None:
            raise ValueError("defer until must be timezone-aware")
        return cls(job.id, "defer", error=reason, run_after=until, metadata=dict(metadata or {}))


@dataclass
class JobContext:
    """What a handler may use. ``stopping`` is set on shutdown: finish quickly or return retries."""

    settings: Settings
    pool: Any  # psycopg_pool.ConnectionPool: autocommit connections with dict rows
    storage: Any  # workers.storage.Storage
    worker_id: str
    log: logging.Logger
    stopping: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.clock()

    def store_raw(self, source: str, data: bytes, *, content_type: str = "application/json",
                  ext: str = "json", fetched_at: datetime | None = None) -> dict[str, str]:
        """Keep a raw payload for audit and replay; returns ``{"bucket", "path"}`` for job metadata.

        Path: ``<source>/<YYYY>/<MM>/<DD>/<HHMMSS.ffffff>Z-<uuid>.<ext>`` in the raw-payload bucket.
        """
        path = self._raw_path(source, ext, fetched_at)
        self.storage.put(RAW_PAYLOAD_BUCKET, path, data, content_type)
        return {"bucket": RAW_PAYLOAD_BUCKET, "path": path}

    def keep_raw(self, source: str, data: bytes, *, content_type: str = "application/json",
                 ext: str = "json", fetched_at: datetime | None = None) -> dict[str, Any]:
        """:meth:`store_raw`, but a Storage outage does not lose the payload nor fail the batch.

        For payloads that cost something to fetch again (API quota): on ``StorageUnavailable`` the
        payload goes to the local spool (``MV_RAW_SPOOL_DIR``, :mod:`workers.raw_spool`) under the
        path it will have in Storage, and the returned reference carries ``"pending": true`` until
        the worker's idle flush has uploaded it. Only a failing spool (disk full) raises.
        """
        path = self._raw_path(source, ext, fetched_at)
        try:
            self.storage.put(RAW_PAYLOAD_BUCKET, path, data, content_type)
        except StorageUnavailable as exc:
            RawSpool(self.settings.raw_spool_dir).keep(RAW_PAYLOAD_BUCKET, path, data)
            self.log.warning("storage unavailable: raw payload spooled locally until it recovers",
                             extra={"source": source, "path": path, "error": str(exc)[:300]})
            return pending_ref(RAW_PAYLOAD_BUCKET, path)
        return {"bucket": RAW_PAYLOAD_BUCKET, "path": path}

    def _raw_path(self, source: str, ext: str, fetched_at: datetime | None) -> str:
        return raw_payload_path(source, ext, fetched_at or self.now())


def raw_payload_path(source: str, ext: str, at: datetime) -> str:
    """Where a raw payload is kept in the raw-payload bucket (the workers, the webhook service):
    ``<source>/<YYYY>/<MM>/<DD>/<HHMMSS.ffffff>Z-<uuid>.<ext>``."""
    at = at.astimezone(UTC)
    return f"{source}/{at:%Y/%m/%d}/{at:%H%M%S.%f}Z-{uuid.uuid4().hex[:12]}.{ext}"


@runtime_checkable
class Handler(Protocol):
    """A source adapter as the worker runtime drives it (see the module docstring)."""

    batch_size: int

    def process(self, ctx: JobContext, jobs: Sequence[Job]) -> Sequence[JobOutcome]: ...

    # Optional: ``prepare(ctx, batches)``, called once per claim with its batches before any of them
    # runs (the dispatcher's thread), to do ahead what each batch's ``process`` would do before its
    # call (the YouTube ids and quota units). ``process`` must work without it: a failed or skipped
    # ``prepare`` only costs time.


HandlerFactory = Callable[[Settings], Handler]


class PerJobHandler:
    """Base of handlers with no shared work across a batch (a file, a folder, a report per job):
    each claimed job is turned into its outcome by :meth:`run_one`. One job per claim unless a
    subclass sets ``batch_size``."""

    batch_size = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def process(self, ctx: JobContext, jobs: Sequence[Job]) -> list[JobOutcome]:
        return [self.run_one(ctx, job) for job in jobs]

    def run_one(self, ctx: JobContext, job: Job) -> JobOutcome:
        raise NotImplementedError
