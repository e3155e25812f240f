"""The ``broadcast`` job handler (spec 3.3 ``process_broadcast_metrics``): Storage -> engine -> outcome.

The upload named by the job's metadata (``bucket``, ``path``, column ``mapping``) is streamed
from Storage into the engine's temp file, read and totalled by the engine; every row error goes
to ``public.music_video_import_row_errors`` by COPY in batches (a re-run first clears those of
its earlier attempt). Outcome with ``r = failed records / data records``: no failure ->
``succeeded``; ``r <= broadcast_max_error_ratio`` -> ``partially_failed`` (good rows stored);
above, or a file-level problem -> ``failed`` (nothing stored, errors still reported).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from workers.config import Settings
from workers.errors import RowError
from workers.metrics import MetricSample
from workers.queue.handler import Job, JobContext, JobOutcome
from workers.sources.broadcast.engine import Engine, run_import
from workers.sources.broadcast.rules import ColumnMapping
from workers.storage import StorageError, StorageNotFound

__all__ = ["BROADCAST_BUCKET", "BroadcastHandler", "write_row_errors"]

BROADCAST_BUCKET = "music-video-broadcast-imports"
PLATFORMS = ("mtv", "regional_tv")
ERROR_BATCH = 5000
PREVIEW = 20
_COPY_SQL = ("copy public.music_video_import_row_errors"
             " (import_id, music_video_id, line, column_name, raw_value, reason) from stdin")


def write_row_errors(conn: Any, import_id: UUID, music_video_id: UUID | None, errors: Iterable[RowError]) -> int:
    """COPY a batch of row errors (NUL-free, clipped by the rules) into the errors table; returns the count."""
    n = 0
    with conn.cursor() as cur, cur.copy(_COPY_SQL) as copy:
        for e in errors:
            copy.write_row((import_id, music_video_id, max(e.line, 1), e.column, e.value, e.reason))
            n += 1
    return n


def _store_errors(ctx: JobContext, job: Job, errors: Iterable[RowError]) -> tuple[int, list[dict[str, Any]]]:
    """Replace the job's stored row errors by ``errors``, in batches; (count, preview).

    The earlier attempt's errors are deleted in the transaction of the first batch (one round trip
    and commit less per job; with no error at all, the delete alone).
    """
    count, preview, batch = 0, [], []
    cleared = False

    def flush() -> None:
        nonlocal cleared
        with ctx.pool.connection() as conn, conn.transaction():
            if not cleared:
                conn.execute("delete from public.music_video_import_row_errors where import_id = %s", (job.id,))
                cleared = True
            if batch:
                write_row_errors(conn, job.id, job.music_video_id, batch)
        batch.clear()

    for err in errors:
        count += 1
        if len(preview) < PREVIEW:
            preview.append(err.as_dict())
        batch.append(err)
        if len(batch) >= ERROR_BATCH:
            flush()
    if batch or not cleared:
        flush()
    return count, preview


class BroadcastHandler:
    """One uploaded CSV per job."""

    batch_size = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # one DuckDB database per handler (so per worker process), reused by every import; started
        # in the background now so that no job pays for it
        self.engine = Engine()
        threading.Thread(target=self._warm, name="broadcast-engine-start", daemon=True).start()

    def _warm(self) -> None:
        with contextlib.suppress(Exception):  # closed before it started, or it fails: the first job says why
            self.engine.database()

    def close(self) -> None:
        self.engine.close()

    def process(self, ctx: JobContext, jobs: Sequence[Job]) -> list[JobOutcome]:
        return [self.process_one(ctx, job) for job in jobs]

    def _mapping(self, raw: Any) -> ColumnMapping:
        if not isinstance(raw, dict):
            raise ValueError("the import has no column mapping")
        data = {k: v for k, v in raw.items() if v is not None or k == "program"}
        data.setdefault("day_first", self.settings.broadcast_day_first)
        if isinstance(data.get("ignore"), list):
            data["ignore"] = tuple(data["ignore"])
        return ColumnMapping(**data)

    def process_one(self, ctx: JobContext, job: Job) -> JobOutcome:
        meta = job.metadata or {}
        bucket = meta.get("bucket") or BROADCAST_BUCKET
        path = meta.get("path")
        if job.music_video_id is None:
            return JobOutcome.failed(job, "broadcast import without a music video")
        if job.platform not in PLATFORMS:
            return JobOutcome.failed(job, f"broadcast platform must be mtv or regional_tv, not {job.platform!r}")
        if not isinstance(path, str) or not path:
            return JobOutcome.failed(job, "broadcast import without an object path")
        try:
            mapping = self._mapping(meta.get("mapping"))
        except (ValidationError, ValueError, TypeError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            return JobOutcome.failed(job, f"invalid column mapping: {reason}")
        try:
            chunks = ctx.storage.open_stream(bucket, path)
        except StorageNotFound:
            return JobOutcome.failed(job, f"uploaded file not found: {bucket}/{path}")
        except StorageError as exc:
            return JobOutcome.retry(job, f"storage unavailable: {exc}")
        today = ctx.now().astimezone(UTC).date()
        local_path = getattr(ctx.storage, "local_path", None)  # a local file: read in place when it can be
        try:
            local = local_path(bucket, path) if callable(local_path) else None
            imp = run_import(chunks, mapping, today=today, local=local, engine=self.engine)
        except StorageError as exc:
            return JobOutcome.retry(job, f"storage read failed: {exc}")
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        with imp:
            if ctx.stopping.is_set():
                return JobOutcome.retry(job, "worker stopping; the import will restart")
            count, preview = _store_errors(ctx, job, imp.errors())
            stats, days = imp.stats, imp.days
        seen, failed = stats.rows_seen, stats.rows_failed
        ratio = failed / seen if seen else (1.0 if count else 0.0)
        limit = self.settings.broadcast_max_error_ratio
        metadata: dict[str, Any] = {
            "file": {"bucket": bucket, "path": path}, "engine": "duckdb", "stats": stats.as_dict(),
            "days": len(days), "error_ratio": round(ratio, 6), "max_error_ratio": limit,
            "row_errors": count, "row_errors_preview": preview,
        }
        if seen == 0:
            reason = preview[0]["reason"] if preview else "the file has a header but no data rows"
            return JobOutcome.failed(job, f"nothing to import: {reason}", metadata=metadata)
        if ratio > limit:
            return JobOutcome.failed(
                job, f"{failed} of {seen} rows failed ({ratio:.1%}), over the allowed {limit:.1%}; "
                     "nothing was stored (see the row errors)", metadata=metadata)
        samples = [
            MetricSample(
                music_video_id=job.music_video_id, platform=job.platform,
                collected_at=datetime(d.year, d.month, d.day, tzinfo=UTC), source=f"broadcast:{path}",
                views_total=t.viewers, external_reference=path, import_batch_id=job.id,
                detail={**t.detail(), "file": path, "bucket": bucket})
            for d, t in sorted(days.items())
        ]
        metadata["samples_built"] = len(samples)
        if failed:
            return JobOutcome.partially_failed(
                job, f"{failed} of {seen} rows failed ({ratio:.1%}); the other rows were imported", samples,
                metadata)
        return JobOutcome.succeeded(job, samples, metadata)
