"""The broadcast job handler: the spec's ``process_broadcast_metrics`` (spec 3.3).

A ``broadcast`` import job is queued by ``import_broadcast_metrics()`` after the release team
uploaded a weekly TV/MTV CSV to ``music-video-broadcast-imports/<release_id>/...``; its metadata
names the object (``bucket``, ``path``) and the column ``mapping`` (their headers ->
``air_date`` / ``program`` / ``viewers``, plus parser options, see
:class:`workers.sources.broadcast.ColumnMapping`). The job's ``platform`` is ``mtv`` or
``regional_tv``.

The worker streams the object (``Storage.open_stream``, 1 MiB chunks) through the streaming
parser and aggregates on the fly, so memory stays flat whatever the file size: it holds one
running total per air date (with the per-programme breakdown) and at most one batch of row
errors. Each failed row (line, column, raw value, reason) goes to
``public.music_video_import_row_errors`` in COPY batches as it is found (a re-run of the job
first clears the rows of its earlier attempt).

Outcome, with ``r = failed records / data records`` and ``max = settings.broadcast_max_error_ratio``:

* no failed record: ``succeeded``, one metric row per air date;
* ``0 < r <= max``: ``partially_failed``; the good rows are stored, the bad ones reported;
* ``r > max`` (or a header problem, or no data row): ``failed``, nothing is stored, but the
  row errors are still reported.

Metric rows: ``views_total`` = the day's viewers summed over its airings, ``collected_at`` = the
air date at 00:00 UTC, ``source`` = ``broadcast:<object path>``, ``detail`` = the per-programme
breakdown, airings count and file.

Speed: the parser (:func:`workers.sources.broadcast.iter_broadcast_rows`) builds a
``BroadcastRow`` per row and runs the general number/date rules on every cell (~100k rows/s).
For the ``long`` layout with ``viewers_scale`` 1 this module first tries the fast path of
:mod:`workers.broadcast_parallel` (:func:`fast_long_import`): the *same* line splitting, sniffing
and ``csv.reader`` tokenizer, but each distinct air-date and programme text is judged once (by the
parser's own ``parse_air_date`` / ``is_missing``) and plain or thousands-grouped integer viewer
counts are converted directly; every other row goes through the parser's per-cell functions
exactly as ``iter_broadcast_rows`` would. An upload over ``parallel_min_bytes`` (2 MiB) is
spooled to a temp file (never held in memory) and split into ~256 KiB segments at newlines outside
quoted fields, parsed by this process and ``cpu_count - 1`` helper processes (fresh
interpreters, never a fork of this multi-threaded worker; a set is kept started and reused), and
merged (see :func:`workers.broadcast_parallel.parallel_long_import`). Anything unusual (invalid
UTF-8, an over-long line, a header problem, a CSV error, a cut that is not between records, a
failed helper) abandons the parallel parse for the whole-file fast path, and that one for the
parser itself. Tests check every path agrees on every fixture and on generated files.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import weakref
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from workers.broadcast_parallel import (
    _FAST_OK,
    SEGMENT_BYTES,
    FastPathAbandoned,
    ParallelResult,
    Spool,
    fast_long_import,
    helpers_idle,
    open_spool_dir,
    parallel_long_import,
    read_range,
    start_helpers,
    stop_helpers,
    wait_ready,
)
from workers.config import Settings
from workers.errors import RowError
from workers.metrics import MetricSample
from workers.queue.handler import Job, JobContext, JobOutcome
from workers.sources.broadcast import BroadcastRow, ColumnMapping, ParseStats, iter_broadcast_rows
from workers.storage import StorageError, StorageNotFound

__all__ = ["BROADCAST_BUCKET", "BroadcastHandler", "FastPathAbandoned", "fast_long_import", "write_row_errors"]

BROADCAST_BUCKET = "music-video-broadcast-imports"
PLATFORMS = ("mtv", "regional_tv")
ERROR_BATCH = 5000
PREVIEW = 20
MAX_HELPERS = 7  # each helper is an interpreter of ~50 MB
MAX_RAW = 1000  # characters of a raw cell kept in the errors table
_COPY_SQL = ("copy public.music_video_import_row_errors"
             " (import_id, music_video_id, line, column_name, raw_value, reason) from stdin")


def write_row_errors(conn: Any, import_id: UUID, music_video_id: UUID | None, errors: Iterable[RowError]) -> int:
    """COPY a batch of row errors into the errors table; returns how many were written."""
    n = 0
    with conn.cursor() as cur, cur.copy(_COPY_SQL) as copy:
        for e in errors:
            value = e.value if e.value is None or len(e.value) <= MAX_RAW else e.value[:MAX_RAW] + "..."
            copy.write_row((import_id, music_video_id, max(e.line, 1), e.column, value, e.reason))
            n += 1
    return n


class _ErrorSink:
    """Row errors of one import, written in batches; keeps a short preview for the job metadata."""

    def __init__(self, ctx: JobContext, job: Job) -> None:
        self.ctx, self.job = ctx, job
        self.buffer: list[RowError] = []
        self.preview: list[dict[str, Any]] = []
        self.count = 0

    def clear_previous(self) -> None:
        with self.ctx.pool.connection() as conn:
            conn.execute("delete from public.music_video_import_row_errors where import_id = %s", (self.job.id,))

    def reset(self) -> None:
        self.buffer.clear()
        self.preview.clear()
        self.count = 0
        self.clear_previous()

    def add(self, err: RowError) -> None:
        self.count += 1
        if len(self.preview) < PREVIEW:
            self.preview.append(err.as_dict())
        self.buffer.append(err)
        if len(self.buffer) >= ERROR_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        with self.ctx.pool.connection() as conn, conn.transaction():
            write_row_errors(conn, self.job.id, self.job.music_video_id, self.buffer)
        self.buffer.clear()


def _stop_spares(spares: list[list[subprocess.Popen[bytes]]]) -> None:
    while spares:
        stop_helpers(spares.pop())


def _close(chunks: Any) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


class BroadcastHandler:
    """One uploaded CSV per job: stream, parse, aggregate per air date, report bad rows."""

    batch_size = 1
    # Uploads bigger than this are spooled to a temp file and parsed by this process plus
    # ``helpers`` helper processes (default: one per extra core), segment by segment.
    parallel_min_bytes = 2 << 20
    segment_bytes = SEGMENT_BYTES
    helpers: int | None = None  # None: one per usable CPU but this one, at most MAX_HELPERS
    # Keep a set of helpers started ahead (idle, waiting on their stdin) so a big upload does not
    # wait for interpreters to boot; a used set is replaced after the parse.
    prestart_helpers = True
    parent_share = True  # tests: False leaves every segment but the first to the helpers

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._spare_lock = threading.Lock()
        self._spare: list[list[subprocess.Popen[bytes]]] = []  # at most one idle set
        # a handler dropped without close() still stops its idle helpers (they also exit when
        # this process does: their stdin closes)
        weakref.finalize(self, _stop_spares, self._spare)
        self._restock()

    def _helper_count(self) -> int:
        if self.helpers is not None:
            return self.helpers
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
        return max(0, min(cpus - 1, MAX_HELPERS))

    def _restock(self) -> None:
        n = self._helper_count()
        if self.prestart_helpers and n > 0:
            with self._spare_lock:
                # no processes to spare (OSError): a big upload starts its own, or goes alone
                if not self._spare:
                    with contextlib.suppress(OSError):
                        self._spare.append(start_helpers(n))

    def _take_helpers(self, n: int) -> list[subprocess.Popen[bytes]]:
        with self._spare_lock:
            spare = self._spare.pop() if self._spare else None
        if spare is not None and (len(spare) != n or any(p.poll() is not None for p in spare)):
            stop_helpers(spare)
            spare = None
        if spare is not None:
            return spare
        try:
            return start_helpers(n)
        except OSError:  # cannot start processes now: this one parses every segment
            return []

    def _give_back(self, helpers: list[subprocess.Popen[bytes]]) -> None:
        """Keep a used set as the spare if all its helpers are alive (else stop it, start a fresh spare)."""
        if helpers and helpers_idle(helpers):
            with self._spare_lock:
                if not self._spare:
                    self._spare.append(helpers)
                    return
        stop_helpers(helpers)
        self._restock()

    def warm_up(self) -> bool:
        """Wait until the idle helper set has booted (before the worker polls); False if there is none."""
        with self._spare_lock:
            spare = list(self._spare)
        return bool(spare) and all(wait_ready(s) for s in spare)

    def close(self) -> None:
        with self._spare_lock:
            _stop_spares(self._spare)

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

        sink = _ErrorSink(ctx, job)
        sink.clear_previous()
        today = ctx.now().astimezone(UTC).date()
        stats = ParseStats()
        totals: dict[date, list[Any]] | None = None  # air date -> [viewers, airings, {programme: viewers}]
        path_used = "parser"
        parse_detail: dict[str, Any] = {}
        if _FAST_OK and mapping.layout == "long" and mapping.viewers_scale == 1:
            try:
                totals, path_used, parse_detail = self._fast(ctx, job, chunks, mapping, today, stats, sink)
            except FastPathAbandoned as why:
                ctx.log.info("broadcast fast path abandoned; using the parser",
                             extra={"job_id": str(job.id), "reason": str(why)})
                _close(chunks)
                sink.reset()
                stats = ParseStats()
                try:
                    chunks = ctx.storage.open_stream(bucket, path)
                except StorageError as exc:
                    return JobOutcome.retry(job, f"storage unavailable: {exc}")
            except StorageError as exc:
                _close(chunks)
                return JobOutcome.retry(job, f"storage read failed: {exc}")
        if totals is None:
            totals = {}
            n = 0
            try:
                for item in iter_broadcast_rows(chunks, mapping, today=today, stats=stats):
                    if type(item) is BroadcastRow:
                        day = totals.get(item.air_date)
                        if day is None:
                            day = totals[item.air_date] = [0, 0, {}]
                        day[0] += item.viewers
                        day[1] += 1
                        progs = day[2]
                        key = item.program or ""
                        progs[key] = progs.get(key, 0) + item.viewers
                    else:
                        sink.add(item)
                    n += 1
                    if not n & 0xFFFF and ctx.stopping.is_set():
                        return JobOutcome.retry(job, "worker stopping; the import will restart")
            except StorageError as exc:
                return JobOutcome.retry(job, f"storage read failed: {exc}")
            finally:
                _close(chunks)
        else:
            _close(chunks)
        sink.flush()

        seen, failed = stats.rows_seen, stats.rows_failed
        ratio = failed / seen if seen else (1.0 if sink.count else 0.0)
        limit = self.settings.broadcast_max_error_ratio
        metadata: dict[str, Any] = {
            "file": {"bucket": bucket, "path": path},
            "parse_path": path_used,
            **({"parse_detail": parse_detail} if parse_detail else {}),
            "stats": stats.as_dict(),
            "days": len(totals),
            "error_ratio": round(ratio, 6),
            "max_error_ratio": limit,
            "row_errors": sink.count,
            "row_errors_preview": sink.preview,
        }
        if seen == 0:
            reason = sink.preview[0]["reason"] if sink.preview else "the file has a header but no data rows"
            return JobOutcome.failed(job, f"nothing to import: {reason}", metadata=metadata)
        if ratio > limit:
            return JobOutcome.failed(
                job, f"{failed} of {seen} rows failed ({ratio:.1%}), over the allowed {limit:.1%}; "
                     "nothing was stored (see the row errors)", metadata=metadata)
        samples = [
            MetricSample(
                music_video_id=job.music_video_id, platform=job.platform,
                collected_at=datetime(d.year, d.month, d.day, tzinfo=UTC), source=f"broadcast:{path}",
                views_total=v[0], external_reference=path, import_batch_id=job.id,
                detail={"programs": dict(sorted(v[2].items())), "airings": v[1], "file": path,
                        "bucket": bucket})
            for d, v in sorted(totals.items())
        ]
        metadata["samples_built"] = len(samples)
        if failed:
            return JobOutcome.partially_failed(
                job, f"{failed} of {seen} rows failed ({ratio:.1%}); the other rows were imported", samples,
                metadata)
        return JobOutcome.succeeded(job, samples, metadata)

    def _fast(self, ctx: JobContext, job: Job, chunks: Iterable[bytes], mapping: ColumnMapping, today: date,
              stats: ParseStats, sink: _ErrorSink) -> tuple[dict[date, list[Any]], str, dict[str, Any]]:
        """The fast path: whole-file for small uploads, split over the cores for big ones.

        Raises :class:`FastPathAbandoned` when the file needs the general parser.
        """
        n_helpers = self._helper_count()
        it = iter(chunks)
        head: list[bytes] = []
        size = 0
        if n_helpers > 0:
            for chunk in it:
                head.append(chunk)
                size += len(chunk)
                if size > self.parallel_min_bytes:
                    break
        if n_helpers <= 0 or size <= self.parallel_min_bytes:
            return fast_long_import(head or it, mapping, today=today, stats=stats, on_error=sink.add), "fast", {}
        with open_spool_dir() as tmp:
            helpers = self._take_helpers(n_helpers)  # a cold set boots while the upload is spooled
            result: ParallelResult | None = None
            try:
                try:
                    spool = Spool(Path(tmp), self.segment_bytes)
                    try:
                        for chunk in head:
                            spool.write(chunk)
                        head.clear()
                        for chunk in it:
                            spool.write(chunk)
                    finally:
                        spool.close()
                except OSError as exc:  # e.g. no room in the temp dir: the parser streams it instead
                    raise FastPathAbandoned(f"cannot spool the upload: {exc}") from exc
                try:
                    result = parallel_long_import(spool, mapping, helpers, today=today,
                                                  parent_share=self.parent_share)
                except Exception as why:  # any trouble: the whole-file path decides
                    ctx.log.info("broadcast parallel parse abandoned; parsing the file whole",
                                 extra={"job_id": str(job.id), "reason": f"{type(why).__name__}: {why}"})
            finally:
                self._give_back(helpers)  # a failed parse has stopped them already
            if result is not None:
                totals = result.apply(stats, sink.add)
                detail = {"segments": result.segments, "by_helpers": result.by_helpers, "helpers": len(helpers),
                          "bytes": spool.size}
                ctx.log.info("broadcast parallel parse", extra={"job_id": str(job.id), **detail})
                return totals, "fast-parallel", detail
            return fast_long_import(read_range(spool.path, 0, spool.size), mapping, today=today, stats=stats,
                                    on_error=sink.add), "fast", {"parallel_abandoned": True}
