"""The broadcast import's fast path, whole-file or split over the machine's cores.

:func:`fast_long_import` parses + aggregates a ``long``-layout CSV exactly as
``workers.sources.broadcast.iter_broadcast_rows`` + per-day aggregation would (same line
splitting, sniffing, ``csv.reader`` tokenizer and per-cell rules; each distinct air-date and
programme text is judged once, plain or thousands-grouped integer viewer counts are converted
directly, every other row goes through the parser's own per-cell functions). Anything unusual
(invalid UTF-8, an over-long line, a header problem, a CSV error) raises
:class:`FastPathAbandoned` and the caller restarts with the parser.

:func:`parallel_long_import` does the same for a big upload spooled to a local file (see
:class:`Spool`): the file is cut into segments of ~``segment_bytes`` at ``\\n`` boundaries
*outside* quoted fields (the quote parity ``count('"') % 2`` before the cut is even; doubled
quotes keep the parity, so this is exact for RFC 4180 CSV), the parent parses the header and
then takes segments from the front while helper processes (``python -m
workers.broadcast_parallel``, started fresh: never a fork of the multi-threaded worker) take
them from the back, claiming each under an ``flock``. Every segment runs the *same* fast path
with the header's delimiter and columns into its process's running totals (caches and totals
live per process, so small segments cost little), records the segment's physical line count and
spills its row errors (relative line numbers) to a file; the parent merges (sums) and replays
the errors in segment order with each segment's line offset, i.e. in line order. Each cut is
verified: a sentinel line is appended after every non-final segment and must come back as a
record of its own (a stray quote that fooled the parity check would swallow it), or the
segment abandons. Any abandonment abandons the whole parallel run (the caller falls back to the
whole-file path: correctness first); a helper that is dead or cannot start just leaves its
share to the others.

Helpers are reusable: each boots once (~0.2 s of CPU, ~50 MB), says it is ready, then serves
one pickled job after another from its stdin until that closes (see :func:`start_helpers`).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import itertools
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from workers.errors import RowError
from workers.sources.broadcast import ColumnMapping, ParseStats

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

__all__ = [
    "FastPathAbandoned",
    "ParallelResult",
    "Spool",
    "fast_long_import",
    "helpers_idle",
    "parallel_long_import",
    "read_range",
    "start_helpers",
    "stop_helpers",
    "wait_ready",
]

CHUNK = 1 << 20
SEGMENT_BYTES = 256 << 10
_MISS = object()
_CACHE_MAX = 200_000
# Lines longer than this leave the fast path: the parser's own over-long-line rule depends on
# how the stream is chunked, so only the parser itself can apply it.
_FAST_MAX_LINE = 64 * 1024
_GROUP_SEP = {".": ",", ",": "."}
# What str.splitlines() breaks on besides "\n", as UTF-8 bytes (UTF-8 is self-synchronising: in
# valid UTF-8 these byte strings only occur as these characters). Searching a single byte is
# memchr-fast, a multi-byte string is not: the last byte of each is looked for first.
_ODD_BREAKS = tuple(c.encode() for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ODD_LAST_BYTES = tuple({b[-1:] for b in _ODD_BREAKS})


def _has_odd_breaks(body: bytes) -> bool:
    return any(b in body for b in _ODD_LAST_BYTES) and any(b in body for b in _ODD_BREAKS)
# Appended after a non-final segment; must come back as a one-field record on its own line.
_SENTINEL = "\ufdd0mv-broadcast-segment-end\ufdd0"
_READY = b"R"
_STAT_KEYS = ("rows_seen", "rows_ok", "rows_failed", "rows_skipped", "skipped_missing", "values_ok", "errors",
              "blank_lines")


class FastPathAbandoned(Exception):
    """The file needs the general parser (the caller restarts the import with it)."""


def _fast_line_batches(chunks: Iterable[bytes], *, file_start: bool = True) -> Iterator[list[str]]:
    """Physical lines split on b"\n" exactly as the parser's reader splits them, one list per chunk.

    ``file_start``: these bytes begin the file (a UTF-8 BOM there is dropped, as the parser does).
    """
    buf = b""
    first = file_start
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
        body = data[:cut + 1]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FastPathAbandoned("invalid UTF-8") from exc
        if not _has_odd_breaks(body):
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


@dataclass(frozen=True)
class _Plan:
    """What the header says, shared by every segment of a file."""

    delim: str
    dec: str
    width: int
    di: int
    pi: int | None
    vi: int
    day_first: bool
    air_date: str
    program: str | None
    viewers: str


def _sniff_delim(lines: Iterator[str], mapping: ColumnMapping) -> tuple[str, list[str]]:
    """The delimiter (the mapping's, or sniffed from the file's first lines) and the lines read."""
    head: list[str] = []
    size = 0
    for text in lines:
        head.append(text)
        size += len(text)
        if size >= SNIFF_BYTES or len(head) >= SNIFF_LINES:
            break
    return mapping.delimiter or _sniff(head), head


def _prepare(lines: Iterable[str], mapping: ColumnMapping, stats: ParseStats,
             delim: str) -> tuple[_Plan, Any, int]:
    """Read up to the header; returns the plan, the csv reader (positioned after it) and its last line."""
    stats.delimiter = delim
    dec = mapping.decimal_separator or ("," if delim == ";" else ".")
    reader = csv.reader(lines, delimiter=delim, strict=False)
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
    plan = _Plan(delim=delim, dec=dec, width=len(header), di=idx[mapping.air_date],
                 pi=idx[mapping.program] if mapping.program else None, vi=idx[mapping.viewers],
                 day_first=mapping.day_first, air_date=mapping.air_date, program=mapping.program,
                 viewers=mapping.viewers)
    return plan, reader, prev_end


class _Day(dict):
    """One air date's cache: raw programme text -> its cell ``[viewers, airings]`` (or ``_MISS``)."""

    __slots__ = ("names",)


class _State:
    """The caches and running totals of one process (shared by every segment it parses)."""

    def __init__(self, plan: _Plan, today: date | None) -> None:
        self.plan, self.today = plan, today
        self.days: dict[date, _Day] = {}
        self.dcache: dict[str, _Day] = {}  # raw date text -> its day
        self.bad_dates: dict[str, str] = {}  # raw date text -> why it is not an air date
        self.pcache: dict[str, Any] = {}  # raw programme -> normalised name | _MISS
        self.cached = [0]

    def totals(self, stats: ParseStats) -> dict[date, list[Any]]:
        """``{day: [viewers, airings, {programme: viewers}]}``; counts the good rows into ``stats``."""
        out: dict[date, list[Any]] = {}
        ok = 0
        for day, t in self.days.items():
            progs = {name: c[0] for name, c in t.names.items() if c[1]}
            if progs:  # a day is only known once a row of it counted
                airings = sum(c[1] for c in t.names.values())
                out[day] = [sum(progs.values()), airings, progs]
                ok += airings
        stats.rows_seen += ok
        stats.rows_ok += ok
        stats.values_ok += ok
        return out


def _body(reader: Any, state: _State, *, stats: ParseStats, on_error: Callable[[RowError], None],
          prev_end: int = 0, seg_lines: list[int] | None = None) -> None:
    """The data records, into ``state`` (good rows are counted in ``stats`` by ``state.totals``).

    Row errors carry line numbers counted like ``reader.line_num`` (+1 for a record's first
    line). ``seg_lines``: a non-final segment (followed by the sentinel line); its ``[0]`` is
    the count of the segment's own lines read so far (final once the sentinel is reached).
    """
    plan, today = state.plan, state.today
    di, vi, width, dec = plan.di, plan.vi, plan.width, plan.dec
    has_prog = plan.pi is not None
    pi = plan.pi if plan.pi is not None else di  # no programme column: every row files under ""
    day_first = plan.day_first
    group_sep = _GROUP_SEP.get(dec)
    seps = [group_sep * k for k in range(6)] if group_sep else []

    days, dcache, bad_dates, pcache, cached = state.days, state.dcache, state.bad_dates, state.pcache, state.cached
    sentinel_seen = False

    def judge_date(raw: str) -> _Day | str:
        """The parser's date rules (missing, format, after today) for one distinct raw value:
        its day, or the reason it is not an air date."""
        bad = bad_dates.get(raw)
        if bad is not None:
            return bad
        if is_missing(raw):
            bad = MISSING_VALUE
        else:
            try:
                day = parse_air_date(raw, day_first=day_first)
            except ValueError as exc:
                bad = str(exc)
            else:
                if today is not None and day > today:
                    bad = f"air date is after today ({today.isoformat()})"
        if bad is not None:
            if len(bad_dates) < _CACHE_MAX:
                bad_dates[raw] = bad
            return bad
        out = days.get(day)
        if out is None:
            out = days[day] = _Day()
            out.names = {}
        if len(dcache) < _CACHE_MAX:
            dcache[raw] = out
        return out

    def cell(t: _Day, raw: str) -> Any:
        """The (day, programme) cell for a raw programme text, or _MISS."""
        if has_prog:
            name = pcache.get(raw)
            if name is None:
                name = _MISS if is_missing(raw) else " ".join(raw.split())
                if len(pcache) < _CACHE_MAX:
                    pcache[raw] = name
        else:
            name = ""
        if name is _MISS:
            return _MISS  # not cached in t: the quick loop must send such rows to slow_row
        out = t.names.get(name)
        if out is None:
            out = t.names[name] = [0, 0]
        if cached[0] < _CACHE_MAX:
            cached[0] += 1
            t[raw] = out
        return out

    def slow_row(start: int, row: list[str]) -> None:
        """A row the quick checks did not settle: the parser's long-layout rules, verbatim."""
        nonlocal sentinel_seen
        if seg_lines is not None and row == [_SENTINEL] and reader.line_num == seg_lines[0] + 1:
            sentinel_seen = True
            return
        if not any(c.strip() for c in row):
            stats.blank_lines += 1
            return
        if len(row) < width or (len(row) > width and any(c.strip() for c in row[width:])):
            stats.rows_seen += 1
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
        if t.__class__ is str:
            errs.append(RowError(line=start, column=plan.air_date, value=_clip(raw_date), reason=t))
        if has_prog:
            raw_prog = row[pi]
            if is_missing(raw_prog):
                errs.append(RowError(line=start, column=plan.program, value=_clip(raw_prog), reason=MISSING_VALUE))
        raw_v = row[vi]
        viewers = 0
        if is_missing(raw_v):
            errs.append(RowError(line=start, column=plan.viewers, value=_clip(raw_v), reason=MISSING_VALUE))
        else:
            try:
                viewers = parse_viewers(raw_v, scale=1, decimal_separator=dec)
            except ValueError as exc:
                errs.append(RowError(line=start, column=plan.viewers, value=_clip(raw_v), reason=str(exc)))
        if errs:
            stats.rows_seen += 1
            stats.rows_failed += 1
            stats.errors += len(errs)
            for e in errs:
                on_error(e)
            return
        c = t.get(row[pi])
        if c is None:
            c = cell(t, row[pi])
        c[0] += viewers
        c[1] += 1

    dget = dcache.get
    try:
        for row in reader:
            if len(row) == width:
                t = dget(row[di])  # a known good date (else slow_row judges it)
                if t is not None:
                    c = t.get(row[pi])
                    if c is None:
                        c = cell(t, row[pi])  # a new programme text: judged once
                    if c is not _MISS:
                        raw_v = row[vi]
                        if raw_v.isdigit() and raw_v.isascii() and len(raw_v) < 19:
                            c[0] += int(raw_v)
                            c[1] += 1
                            prev_end = reader.line_num
                            continue
                        if group_sep:
                            # [0-9]{1,3}(?:<sep>[0-9]{3}){1,5}: k separators exactly every 4th char from
                            # the right, digits elsewhere, a first group of 1-3 digits
                            x = raw_v.replace(group_sep, "")
                            lx = len(x)
                            k = len(raw_v) - lx
                            if 0 < k < 6 and 0 < lx - 3 * k < 4 and x.isdigit() and x.isascii() \
                                    and raw_v[-4::-4] == seps[k]:
                                c[0] += int(x)
                                c[1] += 1
                                prev_end = reader.line_num
                                continue
            start, prev_end = prev_end + 1, reader.line_num
            slow_row(start, row)
    except csv.Error as exc:
        raise FastPathAbandoned("CSV error") from exc
    if seg_lines is not None and not sentinel_seen:
        raise FastPathAbandoned("segment cut inside a record")


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
    delim, head = _sniff_delim(lines, mapping)
    plan, reader, prev_end = _prepare(itertools.chain(head, lines), mapping, stats, delim)
    state = _State(plan, today)
    _body(reader, state, stats=stats, on_error=on_error, prev_end=prev_end)
    return state.totals(stats)


def merge_totals(into: dict[date, list[Any]], part: dict[date, list[Any]]) -> None:
    for day, (viewers, airings, progs) in part.items():
        t = into.get(day)
        if t is None:
            into[day] = [viewers, airings, dict(progs)]
            continue
        t[0] += viewers
        t[1] += airings
        mine = t[2]
        for name, v in progs.items():
            mine[name] = mine.get(name, 0) + v


# --------------------------------------------------------------------------- spooling and cutting


class Spool:
    """An upload copied to a local file, cut on the fly into segments of ~``segment_bytes``.

    A cut is the first ``\\n`` at or after the target offset with an even number of ``"`` before
    it, so it falls between records for RFC 4180 CSV (each cut is verified when parsed).
    """

    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.path = directory / "upload.csv"
        self._fh = self.path.open("wb")
        self.segment_bytes = max(1, segment_bytes)
        self.size = 0
        self.quotes = 0  # '"' before self.size
        self.cuts: list[int] = []
        self._target = self.segment_bytes

    def write(self, chunk: bytes) -> None:
        data = bytes(chunk)
        self._fh.write(data)
        base, end = self.size, self.size + len(data)
        q, i = self.quotes, 0
        while self._target < end:
            start = max(self._target - base, 0)
            q += data.count(b'"', i, start)
            i = start
            while True:
                nl = data.find(b"\n", i)
                if nl < 0:
                    break
                q += data.count(b'"', i, nl)
                i = nl + 1
                if not q & 1:
                    self.cuts.append(base + i)
                    self._target = base + i + self.segment_bytes
                    break
            if nl < 0:
                break
        self.quotes = q + data.count(b'"', i)
        self.size = end

    def close(self) -> None:
        self._fh.close()

    def segments(self) -> list[tuple[int, int]]:
        bounds = [0] + [c for c in self.cuts if c < self.size] + [self.size]
        return list(itertools.pairwise(bounds))


def read_range(path: Path, start: int, end: int, chunk_size: int = CHUNK) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            chunk = fh.read(min(chunk_size, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def _counted(batches: Iterable[list[str]], box: list[int]) -> Iterator[list[str]]:
    for batch in batches:
        box[0] += len(batch)
        yield batch


def _lines_of(path: Path, seg: tuple[int, int], final: bool,
              chunk_size: int = CHUNK) -> tuple[Iterator[str], list[int]]:
    """A segment's lines (then the sentinel line unless ``final``) and a box counting its own lines."""
    box = [0]
    batches = _counted(_fast_line_batches(read_range(path, *seg, chunk_size), file_start=seg[0] == 0), box)
    lines = itertools.chain.from_iterable(batches)
    return (lines if final else itertools.chain(lines, [_SENTINEL + "\n"])), box


class _ErrorSpill:
    """Row errors of one segment pickled to a file in batches (memory stays flat)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.buffer: list[tuple[int, str | None, str | None, str]] = []
        self.count = 0
        self._fh: Any = None

    def add(self, e: RowError) -> None:
        self.buffer.append((e.line, e.column, e.value, e.reason))
        self.count += 1
        if len(self.buffer) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            if self._fh is None:
                self._fh = self.path.open("wb")
            pickle.dump(self.buffer, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.buffer = []

    def close(self) -> None:
        self.flush()
        if self._fh is not None:
            self._fh.close()


def _replay(path: Path, offset: int, on_error: Callable[[RowError], None]) -> None:
    if not path.exists():
        return
    with path.open("rb") as fh:
        while True:
            try:
                batch = pickle.load(fh)
            except EOFError:
                return
            for line, column, value, reason in batch:
                on_error(RowError(line=line + offset, column=column, value=value, reason=reason))


def _run_segment(job: dict[str, Any], state: _State, stats: ParseStats, i: int, reader: Any = None,
                 box: list[int] | None = None, prev_end: int = 0) -> int:
    """Parse segment ``i`` into ``state``; its errors (lines relative to the segment) go to
    ``err-<i>``. Returns the segment's line count; raises :class:`FastPathAbandoned`."""
    segs = job["segments"]
    final = i == len(segs) - 1
    spill = _ErrorSpill(Path(job["dir"]) / f"err-{i}")
    try:
        if reader is None:
            lines, box = _lines_of(Path(job["file"]), segs[i], final)
            reader = csv.reader(lines, delimiter=state.plan.delim, strict=False)
        assert box is not None
        _body(reader, state, stats=stats, on_error=spill.add, prev_end=prev_end, seg_lines=None if final else box)
    finally:
        spill.close()
    return box[0]


def _process_result(state: _State, stats: ParseStats, lines: dict[int, int]) -> dict[str, Any]:
    totals = state.totals(stats)
    return {"lines": lines, "totals": totals, "stats": {k: getattr(stats, k) for k in _STAT_KEYS}}


class _Claims:
    """One byte per segment in a shared file; claimed under an exclusive flock."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR)

    def take(self, from_back: bool, mark: int) -> int | None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            state = bytearray(os.pread(self.fd, 1 << 20, 0))
            order = range(len(state) - 1, -1, -1) if from_back else range(len(state))
            for i in order:
                if state[i] == 0:
                    os.pwrite(self.fd, bytes([mark]), i)
                    return i
            return None
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def marks(self) -> set[int]:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            return set(os.pread(self.fd, 1 << 20, 0))
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def take_all(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            n = os.fstat(self.fd).st_size
            os.pwrite(self.fd, b"\xff" * n, 0)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.fd)


def start_helpers(n: int) -> list[subprocess.Popen[bytes]]:
    """Start ``n`` helper processes (fresh interpreters; they serve jobs from stdin until it closes).

    A helper writes one ready byte once booted, then for each pickled job on its stdin one
    pickled result on its stdout. Reusable: see :func:`helpers_idle`. Raises ``OSError`` (and
    stops those already started) if a process cannot be started.
    """
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    started: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(n):
            started.append(subprocess.Popen([sys.executable, "-m", "workers.broadcast_parallel"],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, env=env, cwd=root))
    except OSError:
        stop_helpers(started)
        raise
    return started


def wait_ready(helpers: list[subprocess.Popen[bytes]]) -> bool:
    """Block until every helper has booted (each writes one byte first); False if one died."""
    ok = True
    for p in helpers:
        if not getattr(p, "mv_ready", False):
            assert p.stdout is not None
            p.mv_ready = p.stdout.read(1) == _READY  # type: ignore[attr-defined]
            ok = ok and p.mv_ready  # type: ignore[attr-defined]
    return ok


def _send(p: subprocess.Popen[bytes], job: dict[str, Any]) -> None:
    _drain(p)
    assert p.stdin is not None
    p.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
    p.stdin.flush()
    p.mv_pending = getattr(p, "mv_pending", 0) + 1  # type: ignore[attr-defined]


def _receive(p: subprocess.Popen[bytes]) -> dict[str, Any] | None:
    """The helper's result for its oldest pending job; None if it died."""
    if not wait_ready([p]):
        return None
    try:
        assert p.stdout is not None
        out = pickle.load(p.stdout)
    except (EOFError, pickle.UnpicklingError, OSError):
        return None
    p.mv_pending -= 1  # type: ignore[attr-defined]
    return out


def _drain(p: subprocess.Popen[bytes]) -> None:
    while getattr(p, "mv_pending", 0):
        if _receive(p) is None:
            raise OSError("helper died")


def helpers_idle(helpers: list[subprocess.Popen[bytes]]) -> bool:
    """True if every helper is alive (results it still owes are read before its next job)."""
    return all(p.poll() is None for p in helpers)


def stop_helpers(helpers: list[subprocess.Popen[bytes]]) -> None:
    for p in helpers:
        if p.poll() is None:
            p.kill()
        p.wait()
        for f in (p.stdin, p.stdout):
            if f is not None:
                with contextlib.suppress(OSError):  # unflushed bytes to a dead helper
                    f.close()


@dataclass
class ParallelResult:
    """A successful parallel parse: merged totals and stats; the row errors wait in spill files."""

    totals: dict[date, list[Any]]
    stats: dict[str, Any]
    segments: int
    by_helpers: int  # segments parsed by the helper processes
    _errors: list[tuple[Path, int]]

    def apply(self, stats: ParseStats, on_error: Callable[[RowError], None]) -> dict[date, list[Any]]:
        """Add the counters to ``stats``, replay the row errors (line order) to ``on_error``; the totals."""
        for k in _STAT_KEYS:
            setattr(stats, k, getattr(stats, k) + self.stats[k])
        stats.delimiter = self.stats["delimiter"]
        for path, offset in self._errors:
            _replay(path, offset, on_error)
        return self.totals


def parallel_long_import(spool: Spool, mapping: ColumnMapping, helpers: list[subprocess.Popen[bytes]], *,
                         today: date | None, parent_share: bool = True) -> ParallelResult:
    """Parse the spooled file with the parent and ``helpers`` sharing its segments.

    Once applied, the same result as :func:`fast_long_import` on the whole file. Raises
    :class:`FastPathAbandoned` if any segment needs the general parser (or a segment was lost
    with a failed helper); the helpers are then stopped, else they stay up for the next file.
    ``parent_share=False`` (tests): this process parses only the first segment and leaves the
    rest to the helpers.
    """
    try:
        if not _FAST_OK or mapping.layout != "long" or mapping.viewers_scale != 1:
            raise FastPathAbandoned("layout or scale")
        segs = spool.segments()
        work = spool.path.parent
        claims_path = work / "claims"
        claims_path.write_bytes(b"\x01" + b"\x00" * (len(segs) - 1))
        whole, _ = _lines_of(spool.path, (0, spool.size), True, SNIFF_BYTES)
        delim, _ = _sniff_delim(whole, mapping)
        del whole  # closes its file
        part_stats = ParseStats()
        lines0, box0 = _lines_of(spool.path, segs[0], len(segs) == 1)
        plan, reader0, prev_end = _prepare(lines0, mapping, part_stats, delim)
        job = {"file": str(spool.path), "dir": str(work), "segments": segs, "plan": plan, "today": today,
               "claims": str(claims_path)}
        unreachable: set[int] = set()
        for n, p in enumerate(helpers):
            try:
                _send(p, {**job, "mark": 2 + n})
            except OSError:  # a dead helper never got the job, so claims nothing: the rest do its share
                unreachable.add(n)
        state = _State(plan, today)
        mine: dict[int, int] = {}
        claims = _Claims(claims_path)
        try:
            i: int | None = 0
            while i is not None:
                try:
                    mine[i] = _run_segment(job, state, part_stats, i, reader0, box0, prev_end) if i == 0 \
                        else _run_segment(job, state, part_stats, i)
                except FastPathAbandoned as why:
                    claims.take_all()
                    raise FastPathAbandoned(f"segment {i}: {why}") from why
                i = claims.take(from_back=False, mark=1) if parent_share else None
            marks = claims.marks()
        finally:
            claims.close()
        results = [_process_result(state, part_stats, mine)]
        for n, p in enumerate(helpers):
            if n in unreachable or (parent_share and 2 + n not in marks):
                continue  # it took nothing (maybe still booting): its empty answer is read later
            theirs = _receive(p)
            if theirs is None:
                continue  # whatever it claimed is missing below
            if "abandoned" in theirs:
                raise FastPathAbandoned(f"helper: {theirs['abandoned']}")
            results.append(theirs)
        seg_lines: dict[int, int] = {}
        for r in results:
            seg_lines.update(r["lines"])
        if sorted(seg_lines) != list(range(len(segs))):
            raise FastPathAbandoned("a segment was lost with a failed helper")
    except BaseException:
        stop_helpers(helpers)
        raise
    totals: dict[date, list[Any]] = {}
    summed: dict[str, Any] = dict.fromkeys(_STAT_KEYS, 0)
    for r in results:
        for k in _STAT_KEYS:
            summed[k] += r["stats"][k]
        merge_totals(totals, r["totals"])
    errors: list[tuple[Path, int]] = []
    offset = 0
    for j in range(len(segs)):
        errors.append((work / f"err-{j}", offset))
        offset += seg_lines[j]
    summed["delimiter"] = delim
    return ParallelResult(totals, summed, len(segs), len(segs) - len(mine), errors)


def open_spool_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="mv-broadcast-")


def _serve(job: dict[str, Any]) -> dict[str, Any]:
    state = _State(job["plan"], job["today"])
    stats = ParseStats()
    lines: dict[int, int] = {}
    claims = _Claims(Path(job["claims"]))
    try:
        while (i := claims.take(from_back=True, mark=job["mark"])) is not None:
            lines[i] = _run_segment(job, state, stats, i)
        return _process_result(state, stats, lines)
    except FastPathAbandoned as why:
        claims.take_all()
        return {"abandoned": str(why)}
    finally:
        claims.close()


def _helper_main() -> int:
    """A helper process: per job from stdin, take segments from the back and pickle the result to stdout."""
    out = sys.stdout.buffer
    out.write(_READY)
    out.flush()
    while True:
        try:
            job = pickle.load(sys.stdin.buffer)
        except EOFError:  # the parent closed our stdin (or went away)
            return 0
        try:
            result = _serve(job)
        except Exception as exc:  # e.g. a job whose files are gone already: the parent moved on
            result = {"abandoned": f"{type(exc).__name__}: {exc}"}
        out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        out.flush()


if __name__ == "__main__":
    raise SystemExit(_helper_main())
