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
For the ``long`` layout with ``viewers_scale`` 1 this module first tries :func:`fast_long_import`:
the *same* line splitting, sniffing and ``csv.reader`` tokenizer, but each distinct air-date and
programme text is judged once (by the parser's own ``parse_air_date`` / ``is_missing``) and
plain or thousands-grouped integer viewer counts are converted directly; every other row goes
through the parser's per-cell functions exactly as ``iter_broadcast_rows`` would. Anything
unusual (invalid UTF-8, an over-long line, a header problem, a CSV error) abandons the fast path
before it returns, and the job restarts with the parser itself. Tests check both paths agree on
every fixture and on generated files.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from workers.config import Settings
from workers.errors import RowError
from workers.metrics import MetricSample
from workers.sources.broadcast import BroadcastRow, ColumnMapping, ParseStats, iter_broadcast_rows
from workers.storage import StorageError, StorageNotFound
from workers.sync import Job, JobContext, JobOutcome, register_handler

try:  # the parser's own helpers, so the fast path judges every cell exactly as the parser does
    from workers.sources.broadcast import (
        MISSING_VALUE,
        SNIFF_BYTES,
        SNIFF_LINES,
        _clip,
        _norm_header,
        _preview,
        _sniff,
        is_missing,
        parse_air_date,
        parse_viewers,
    )
except ImportError:  # the parser changed shape: use it whole (slower, always right)
    _FAST_OK = False
else:
    _FAST_OK = True

__all__ = ["BROADCAST_BUCKET", "BroadcastHandler", "fast_long_import", "write_row_errors"]

BROADCAST_BUCKET = "music-video-broadcast-imports"
PLATFORMS = ("mtv", "regional_tv")
ERROR_BATCH = 5000
PREVIEW = 20
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


def _close(chunks: Any) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


@register_handler("broadcast")
class BroadcastHandler:
    """One uploaded CSV per job: stream, parse, aggregate per air date, report bad rows."""

    batch_size = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

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
        if _FAST_OK and mapping.layout == "long" and mapping.viewers_scale == 1:
            try:
                totals = fast_long_import(chunks, mapping, today=today, stats=stats, on_error=sink.add)
                path_used = "fast"
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


# --------------------------------------------------------------------------- the fast path


class FastPathAbandoned(Exception):
    """The file needs the general parser (the caller restarts the import with it)."""


_MISS = object()
_CACHE_MAX = 200_000
# Lines longer than this leave the fast path: the parser's own over-long-line rule depends on
# how the stream is chunked, so only the parser itself can apply it.
_FAST_MAX_LINE = 64 * 1024
_GROUPED = {".": re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){1,5}"), ",": re.compile(r"[0-9]{1,3}(?:\.[0-9]{3}){1,5}")}
_GROUP_SEP = {".": ",", ",": "."}


_ODD_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _fast_line_batches(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """Physical lines split on b"\n" exactly as the parser's reader splits them, one list per chunk."""
    buf = b""
    first = True
    for chunk in chunks:
        data = buf + bytes(chunk) if buf else bytes(chunk)
        if first and data:
            first = False
            data = data.removeprefix(b"\xef\xbb\xbf")
        cut = data.rfind(b"\n")
        if cut < 0:
            buf = data
            if len(buf) > _FAST_MAX_LINE:
                raise FastPathAbandoned("long line")
            continue
        buf = data[cut + 1:]
        if len(buf) > _FAST_MAX_LINE:
            raise FastPathAbandoned("long line")
        try:
            text = data[:cut + 1].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FastPathAbandoned("invalid UTF-8") from exc
        if _ODD_BREAKS.search(text) is None:
            lines = text.splitlines(True)  # only "\n" breaks in this text: same split, in C
        else:
            parts = text.split("\n")
            parts.pop()  # after the last "\n"
            lines = [part + "\n" for part in parts]
        if lines and max(map(len, lines)) > _FAST_MAX_LINE // 4 and \
                max(len(x.encode()) for x in lines) > _FAST_MAX_LINE:
            raise FastPathAbandoned("long line")
        yield lines
    if buf:
        if first:
            buf = buf.removeprefix(b"\xef\xbb\xbf")
        try:
            yield [buf.decode("utf-8")]
        except UnicodeDecodeError as exc:
            raise FastPathAbandoned("invalid UTF-8") from exc


def fast_long_import(chunks: Iterable[bytes], mapping: ColumnMapping, *, today: date | None,
                     stats: ParseStats, on_error: Callable[[RowError], None]) -> dict[date, list[Any]]:
    """Parse + aggregate a ``long``-layout CSV as ``iter_broadcast_rows`` + aggregation would.

    Returns ``{air date: [viewers, airings, {programme: viewers}]}``; row errors go to
    ``on_error`` in line order and ``stats`` is updated like the parser's. Raises
    :class:`FastPathAbandoned` (possibly after some ``on_error`` calls) when the file needs the
    general parser.
    """
    if not _FAST_OK or mapping.layout != "long" or mapping.viewers_scale != 1:
        raise FastPathAbandoned("layout or scale")
    lines = itertools.chain.from_iterable(_fast_line_batches(chunks))
    head: list[str] = []
    size = 0
    for text in lines:
        head.append(text)
        size += len(text)
        if size >= SNIFF_BYTES or len(head) >= SNIFF_LINES:
            break
    delim = mapping.delimiter or _sniff(head)
    stats.delimiter = delim
    dec = mapping.decimal_separator or ("," if delim == ";" else ".")

    reader = csv.reader(itertools.chain(head, lines), delimiter=delim, strict=False)
    prev_end = 0
    header: list[str] | None = None
    try:
        for row in reader:
            prev_end = reader.line_num
            if row and any(c.strip() for c in row):
                header = row
                break
            stats.blank_lines += 1
    except csv.Error as exc:
        raise FastPathAbandoned("CSV error in the header") from exc
    if header is None:
        raise FastPathAbandoned("no header")
    names = [_norm_header(h) for h in header]
    wanted = [mapping.air_date] + ([mapping.program] if mapping.program else []) + [mapping.viewers]
    idx = {}
    for col in wanted:
        hits = [i for i, n in enumerate(names) if n == _norm_header(col)]
        if len(hits) != 1:
            raise FastPathAbandoned("header problem")
        idx[col] = hits[0]
    di, vi = idx[mapping.air_date], idx[mapping.viewers]
    pi = idx[mapping.program] if mapping.program else None
    width = len(header)
    day_first = mapping.day_first
    grouped = _GROUPED.get(dec)
    group_sep = _GROUP_SEP.get(dec, "")

    totals: dict[date, list[Any]] = {}
    # raw date text -> its day's totals slot [viewers, airings, {programme: viewers}], or (reason,)
    dcache: dict[str, Any] = {}
    pcache: dict[str, Any] = {}  # raw programme -> normalised name | _MISS
    if pi is None:
        pcache = None  # type: ignore[assignment]

    def slot(day: date) -> list[Any]:
        t = totals.get(day)
        if t is None:
            t = totals[day] = [0, 0, {}]
        return t

    def judge_date(raw: str) -> Any:
        """The parser's date rules (missing, format, after today) for one distinct raw value."""
        if is_missing(raw):
            out: Any = (MISSING_VALUE,)
        else:
            try:
                day = parse_air_date(raw, day_first=day_first)
                out = (f"air date is after today ({today.isoformat()})",) if today is not None and day > today \
                    else slot(day)
            except ValueError as exc:
                out = (str(exc),)
        if len(dcache) < _CACHE_MAX:
            dcache[raw] = out
        return out

    def judge_program(raw: str) -> Any:
        out = _MISS if is_missing(raw) else " ".join(raw.split())
        if len(pcache) < _CACHE_MAX:
            pcache[raw] = out
        return out

    def slow_row(start: int, row: list[str]) -> None:
        """A row the quick checks did not settle: the parser's long-layout rules, verbatim."""
        if not any(c.strip() for c in row):
            stats.blank_lines += 1
            return
        stats.rows_seen += 1
        if len(row) < width or (len(row) > width and any(c.strip() for c in row[width:])):
            stats.rows_failed += 1
            stats.errors += 1
            on_error(RowError(line=start, column=None, value=_preview(row),
                              reason=f"row has {len(row)} fields, header has {width}"))
            return
        errs: list[RowError] = []
        raw_date = row[di]
        t = dcache.get(raw_date)
        if t is None:
            t = judge_date(raw_date)
        if t.__class__ is tuple:
            errs.append(RowError(line=start, column=mapping.air_date, value=_clip(raw_date), reason=t[0]))
        program = None
        if pi is not None:
            raw_prog = row[pi]
            if is_missing(raw_prog):
                errs.append(RowError(line=start, column=mapping.program, value=_clip(raw_prog), reason=MISSING_VALUE))
            else:
                program = " ".join(raw_prog.split())
        raw_v = row[vi]
        viewers = 0
        if is_missing(raw_v):
            errs.append(RowError(line=start, column=mapping.viewers, value=_clip(raw_v), reason=MISSING_VALUE))
        else:
            try:
                viewers = parse_viewers(raw_v, scale=mapping.viewers_scale, decimal_separator=dec)
            except ValueError as exc:
                errs.append(RowError(line=start, column=mapping.viewers, value=_clip(raw_v), reason=str(exc)))
        if errs:
            stats.rows_failed += 1
            stats.errors += len(errs)
            for e in errs:
                on_error(e)
            return
        key = program or ""
        t[0] += viewers
        t[1] += 1
        progs = t[2]
        progs[key] = progs.get(key, 0) + viewers
        stats.rows_ok += 1
        stats.values_ok += 1

    ok = 0
    try:
        for row in reader:
            if len(row) == width:
                t = dcache.get(row[di])
                if t is None:
                    t = judge_date(row[di])
                if t.__class__ is list:
                    if pi is None:
                        program = ""
                    else:
                        program = pcache.get(row[pi])
                        if program is None:
                            program = judge_program(row[pi])
                    if program is not _MISS:
                        raw_v = row[vi]
                        if raw_v.isdigit() and raw_v.isascii() and len(raw_v) < 19:
                            viewers = int(raw_v)
                        elif grouped is not None and grouped.fullmatch(raw_v):
                            viewers = int(raw_v.replace(group_sep, ""))
                        else:
                            viewers = -1
                        if viewers >= 0:
                            t[0] += viewers
                            t[1] += 1
                            progs = t[2]
                            progs[program] = progs.get(program, 0) + viewers
                            ok += 1
                            prev_end = reader.line_num
                            continue
            start, prev_end = prev_end + 1, reader.line_num
            slow_row(start, row)
    except csv.Error as exc:
        raise FastPathAbandoned("CSV error") from exc
    stats.rows_seen += ok
    stats.rows_ok += ok
    stats.values_ok += ok
    # a day is only known once a row of it counted (a date seen only on failed rows has no total)
    return {d: t for d, t in totals.items() if t[1]}
