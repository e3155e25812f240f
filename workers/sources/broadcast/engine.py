"""The broadcast import engine: DuckDB reads the spooled CSV, SQL cleans, checks and aggregates.

See docs/broadcast-import.md for the design. :func:`run_import` returns an :class:`Import`:
``stats``, ``days`` (one :class:`DayTotal` per air date) and :meth:`Import.errors`, an iterator
of ``RowError`` in line order, fetched in batches.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import itertools
import os
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from workers.errors import RowError
from workers.sources.broadcast.rules import (
    MAX_LINE_BYTES,
    MISSING_PATTERN,
    MISSING_VALUE,
    PLAIN_NAME_PATTERN,
    ColumnMapping,
    clip,
    duplicates,
    header_name,
    integer_forms,
    is_missing,
    judge_air_date,
    parse_viewers,
    program_name,
    row_error,
)
from workers.sources.broadcast.spool import MARK, Spooled, in_place, spool

TOP_PROGRAMS = 50  # programmes listed per day in ``detail``; the rest are summed
BATCH = 10_000
# DuckDB's CSV buffers (default 32 MiB each, several in flight): smaller ones keep the peak memory
# flat in the file size, and are no slower; twice the max_line_size given to DuckDB.
READ_BUFFER = 4 * MAX_LINE_BYTES
INLINE_TEXTS = 8  # bad texts written into the second scan's filter as constants; more: a semi-join
SEARCH_TEXTS = 64  # bad texts the bytes-level search of the bad rows looks for; more: the second scan


@dataclass(slots=True)
class ParseStats:
    """Counters. ``rows_ok + rows_failed + rows_skipped == rows_seen``."""

    rows_seen: int = 0       # non-blank data records
    rows_ok: int = 0         # records that gave only good values
    rows_failed: int = 0     # records that gave at least one RowError
    rows_skipped: int = 0    # wide layout: records whose every programme cell is missing
    skipped_missing: int = 0  # wide layout: missing cells ("not broadcast")
    values_ok: int = 0       # good airings
    errors: int = 0          # RowErrors (including file-level ones)
    blank_lines: int = 0     # records with no content at all (not data rows)
    delimiter: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class DayTotal:
    """One air date: total viewers, airings, the top programmes and the sum of the others."""

    viewers: int = 0
    airings: int = 0
    programs: dict[str, int] = field(default_factory=dict)
    other_programs: int = 0
    other_viewers: int = 0

    def detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {"programs": dict(sorted(self.programs.items())), "airings": self.airings}
        if self.other_programs:
            out["other_programs"] = {"count": self.other_programs, "viewers": self.other_viewers}
        return out


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass
class Settings:
    """DuckDB resources: memory bounded whatever the file size (it spills past the limit), every CPU."""

    memory_limit: str = "512MB"
    threads: int = field(default_factory=_cpus)
    top_programs: int = TOP_PROGRAMS


class Import:
    """The outcome of one file; :meth:`errors` streams the row errors, then :meth:`close`."""

    def __init__(self, stats: ParseStats, days: dict[date, DayTotal], errors: Iterator[RowError],
                 closer: contextlib.ExitStack) -> None:
        self.stats, self.days, self._errors, self._closer = stats, days, errors, closer

    def errors(self) -> Iterator[RowError]:
        yield from self._errors

    def close(self) -> None:
        self._closer.close()

    def __enter__(self) -> Import:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Engine:
    """One DuckDB database kept for many imports (a handler keeps one per worker process).

    DuckDB's start (~20-60 ms) is paid once; each import gets its own connection (``cursor()``,
    so its ``reject_errors`` temp tables are its own) working in a fresh schema, dropped when the
    import is closed. ``memory_limit`` and the spill directory are the database's: imports running
    at once share them. Thread-safe; :meth:`close` when done (the handler's ``close``).
    """

    def __init__(self, settings: Settings | None = None, workdir: Path | None = None) -> None:
        self.settings = settings or Settings()
        self._tmp = tempfile.mkdtemp(prefix="mv-broadcast-duck-", dir=workdir)
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmp, True)
        self._lock = threading.Lock()
        self._db: Any = None
        self._jobs = itertools.count(1)
        self._closed = False

    def database(self) -> Any:
        """The DuckDB database, started on first use."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the broadcast engine is closed")
            if self._db is None:
                cfg = self.settings
                self._db = duckdb.connect(config={
                    "memory_limit": cfg.memory_limit, "threads": cfg.threads,
                    "temp_directory": str(Path(self._tmp) / "duck"), "preserve_insertion_order": True})
            return self._db

    def session(self, stack: contextlib.ExitStack) -> tuple[Any, str]:
        """(connection, schema): a connection of its own in a fresh schema, for one import; closed and
        dropped by ``stack``. Its cursors are connections too: they must ``USE`` the schema."""
        db = self.database()
        with self._lock:
            con = db.cursor()
        name = f"import_{next(self._jobs)}"
        stack.callback(self._drop, con, name)
        con.execute(f"CREATE SCHEMA {name}; USE memory.{name}")
        return con, name

    def _drop(self, con: Any, name: str) -> None:
        with contextlib.suppress(duckdb.Error):
            con.close()
        with self._lock:
            if self._db is None or self._closed:
                return
            cur = self._db.cursor()
        try:
            cur.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        except duckdb.Error:  # pragma: no cover - the database is gone
            pass
        finally:
            cur.close()

    def schemas(self) -> list[str]:
        """The imports' schemas still present (a test hook: none once every import is closed)."""
        with self._lock:
            if self._db is None or self._closed:
                return []
            cur = self._db.cursor()
        try:
            return [r[0] for r in cur.execute("SELECT schema_name FROM duckdb_schemas()"
                                              " WHERE schema_name LIKE 'import_%'").fetchall()]
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            db, self._db = self._db, None
        if db is not None:
            db.close()
        self._cleanup()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_import(chunks: Iterable[bytes], mapping: ColumnMapping, *, today: date | None = None,
               settings: Settings | None = None, workdir: Path | None = None, local: Path | None = None,
               engine: Engine | None = None) -> Import:
    """Spool ``chunks`` to a temp dir, read it with DuckDB, check every value, total per air date.

    ``local``: the same upload as a local file; read in place when it is in DuckDB's shape (then
    ``chunks`` is never read), else ``chunks`` are spooled as usual. ``engine``: a kept
    :class:`Engine` (its settings apply); without one, a one-off engine is started and closed
    with the :class:`Import`.
    """
    stack = contextlib.ExitStack()
    try:
        if engine is None:
            engine = Engine(settings, workdir)
            stack.callback(engine.close)
        cfg = engine.settings
        sp, early = None, None
        if local is not None:
            # one open file: the checks and DuckDB's reads see the same bytes even if the path is replaced
            fh = stack.enter_context(local.open("rb"))
            pinned = Path(f"/proc/self/fd/{fh.fileno()}")
            started: list[_Early] = []
            sp = in_place(pinned if pinned.exists() else local, mapping.delimiter,
                          on_header=lambda head: started.append(_Early.start(head, mapping, today, cfg, engine,
                                                                             stack)))
            early = next((e for e in started if e is not None), None)
            if early is not None:
                early.wait()
                if sp is None or sp.error is not None:  # out of shape after all: spooled below
                    early.discard()
                    early = None
        if sp is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mv-broadcast-", dir=workdir)))
            sp = spool(chunks, tmp / "data.csv", mapping.delimiter)
        if early is not None:
            days, errors = early.job.run(read_done=True)
            return Import(early.job.stats, days, errors, stack)
        stats = ParseStats(delimiter=sp.delimiter, blank_lines=sp.blank_before)
        if sp.error is None:
            located = _locate(sp, mapping)
            if isinstance(located, RowError):
                sp.error = located
        if sp.error is not None:
            stats.errors = 1
            return Import(stats, {}, iter([sp.error]), stack)
        con, schema = engine.session(stack)
        job = _Job(con, schema, sp, mapping, located, today, stats, cfg)
        days, errors = job.run()
        return Import(stats, days, errors, stack)
    except BaseException:
        stack.close()
        raise


class _Early:
    """The aggregation of a file read in place, started as soon as its header is known.

    It runs in a thread (DuckDB releases the GIL) while the spool's byte pass checks the rest of
    the file; if the pass finds the file out of shape after all, the result is dropped.
    """

    def __init__(self, job: _Job, con: Any) -> None:
        self.job, self.con = job, con
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._read, name="broadcast-read", daemon=True)

    @classmethod
    def start(cls, sp: Spooled, mapping: ColumnMapping, today: date | None, cfg: Settings, engine: Engine,
              stack: contextlib.ExitStack) -> _Early | None:
        if mapping.layout != "long" or sp.blank_before or sp.first_line != 2:
            return None
        cols = _locate(sp, mapping)
        if isinstance(cols, RowError):
            return None
        con, schema = engine.session(stack)
        early = cls(_Job(con, schema, sp, mapping, cols, today, ParseStats(delimiter=sp.delimiter), cfg), con)
        stack.callback(early.thread.join)
        stack.callback(early.interrupt)
        early.thread.start()
        return early

    def _read(self) -> None:
        try:
            self.job.read()
        except BaseException as exc:  # re-raised by wait()
            self.failure = exc

    def wait(self) -> None:
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def interrupt(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.interrupt()

    def discard(self) -> None:
        self.con.close()


_Event = tuple[int, bool, list[tuple[str | None, str, str]], int]  # (ordinal, multi-line, errors, newlines)


def _line_of(buf: bytes, base: int, pos: int, known: tuple[int, int], marks: Any) -> tuple[int, int]:
    """(pos, physical line of buf[pos]), counted from the nearer of a known earlier position and a mark.

    ``base``: the data offset of buf[0]; ``marks``: the spool's line numbers every MARK data bytes.
    """
    counted, line = known
    k = (base + pos) // MARK
    mark = k * MARK - base
    if mark > counted and k < len(marks):
        counted, line = mark, marks[k]
    return pos, line + buf.count(b"\n", counted, pos)


def _hits(buf: bytes, needle: bytes, end: int) -> Iterator[int]:
    at = buf.find(needle, 0, end)
    while at >= 0:
        yield at
        at = buf.find(needle, at + 1, end)


# --------------------------------------------------------------------------- header


@dataclass(slots=True)
class _Columns:
    date: int
    program: int | None = None
    viewers: int | None = None
    programs: list[tuple[int, str]] = field(default_factory=list)  # wide
    unnamed: list[int] = field(default_factory=list)  # wide


def _locate(sp: Spooled, mapping: ColumnMapping) -> _Columns | RowError:
    header, line = sp.header, sp.header_line
    index: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        index.setdefault(header_name(h), []).append(i)
    found = ", ".join(repr(h.strip()) for h in header[:30]) + (", ..." if len(header) > 30 else "")

    def where(col: str) -> int | RowError:
        hits = index.get(header_name(col), [])
        if len(hits) == 1:
            return hits[0]
        reason = (f"column {col!r} appears {len(hits)} times in the header" if hits
                  else f"missing column {col!r} (header has {found}; delimiter {sp.delimiter!r})")
        return row_error(line, col, None, reason)

    wanted = [mapping.air_date] + ([mapping.program] if mapping.program else [])
    if mapping.layout == "long" or mapping.viewers != "*":
        wanted.append(mapping.viewers)
    wanted += list(mapping.ignore)
    got = {col: where(col) for col in wanted}
    for hit in got.values():
        if isinstance(hit, RowError):
            return hit
    if "\x00" in "".join(header):
        return row_error(line, None, None, "bad header: a column name contains a NUL byte")
    cols = _Columns(date=got[mapping.air_date])  # type: ignore[arg-type]
    if mapping.layout == "long":
        cols.viewers = got[mapping.viewers]  # type: ignore[assignment]
        cols.program = got[mapping.program] if mapping.program else None  # type: ignore[assignment]
        return cols
    if mapping.viewers == "*":
        skip = {cols.date} | {got[c] for c in mapping.ignore}
        cols.programs = [(i, " ".join(h.split())) for i, h in enumerate(header) if i not in skip and h.strip()]
        cols.unnamed = [i for i, h in enumerate(header) if i not in skip and not h.strip()]
    else:
        i = got[mapping.viewers]
        cols.programs = [(i, " ".join(header[i].split()))]  # type: ignore[index]
    dupes = duplicates([name for _, name in cols.programs])
    if not cols.programs or dupes:
        return row_error(line, dupes[0] if dupes else None, None,
                         f"wide layout: programme column {dupes[0]!r} appears more than once"
                         if dupes else "wide layout: no programme columns")
    return cols


# --------------------------------------------------------------------------- the SQL


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fast_viewers(col: str, dec: str, scale: float) -> str:
    """SQL: the viewer count of ``col`` when it is exactly one of the integer forms (no padding), else NULL.

    Every integer form is digits plus one kind of separator, so its value is its digits. Anything
    else (padding, NBSP, fractions, overflow) is NULL here and judged by the rules, per distinct text.
    Per row this is the engine's hottest expression, so it tests one pattern only: a grouped form
    has its separator 4th from the end, which picks the form to test (any other text: plain digits).
    """
    if scale != 1:
        return "NULL::BIGINT"
    plain, grouped = "NULL", []
    for pattern, sep in integer_forms(dec):
        if not sep:
            plain = f"CASE WHEN regexp_full_match({col}, {_q(pattern)}) THEN TRY_CAST({col} AS BIGINT) END"
        else:
            grouped.append(f"WHEN {_q(sep)} THEN CASE WHEN regexp_full_match({col}, {_q(pattern)})"
                           f" THEN TRY_CAST(replace({col}, {_q(sep)}, '') AS BIGINT) END")
    return f"(CASE WHEN length({col}) <= 24 THEN CASE substr({col}, -4, 1) {' '.join(grouped)} ELSE {plain} END END)"


_REASONS = {
    "MISSING COLUMNS": "row has {n} fields, header has {w}",
    "TOO MANY COLUMNS": "row has {n} fields, header has {w}",
    "INVALID ENCODING": "invalid UTF-8: this row is not UTF-8 text (save the file as UTF-8 CSV)",
    "UNQUOTED VALUE": "malformed CSV: a quoted value is not closed (unterminated quote)",
}
_FOUND = re.compile(r"Found: (\d+)")


class _Job:
    def __init__(self, con: Any, schema: str, sp: Spooled, mapping: ColumnMapping, cols: _Columns,
                 today: date | None, stats: ParseStats, cfg: Settings) -> None:
        self.schema = schema
        self.con, self.sp, self.mapping, self.cols, self.today = con, sp, mapping, cols, today
        self.stats, self.cfg = stats, cfg
        self.width = len(sp.header)
        self.dec = mapping.decimal_for(sp.delimiter)
        self.refusal: Exception | None = None

    def _cursor(self) -> Any:
        """Another connection to the import's tables (a DuckDB cursor starts in the default schema)."""
        cur = self.con.cursor()
        cur.execute(f"USE memory.{self.schema}")
        return cur

    def read(self) -> None:
        """Read the file (the long layout: aggregate it) and keep DuckDB's rejects; a refusal is noted."""
        try:
            if self.mapping.layout == "long":
                self._long()
            else:
                self._wide_read()
            # DuckDB numbers records from the file's start: the skipped header line is not ours
            self.con.execute(f"CREATE TABLE rejects AS SELECT line - {self.sp.skip} AS line, error_type, csv_line,"
                             " error_message FROM reject_errors")
        except duckdb.Error as exc:
            self.refusal = exc

    def run(self, *, read_done: bool = False) -> tuple[dict[date, DayTotal], Iterator[RowError]]:
        if read_done:
            pass
        elif self.sp.data_bytes:
            self.read()
        else:
            self._empty()
            self.con.execute("CREATE TABLE rejects (line BIGINT, error_type VARCHAR, csv_line VARCHAR,"
                             " error_message VARCHAR)")
        if self.refusal is not None:
            return self._refused(self.refusal)
        if self.mapping.layout == "long":
            self._long_judge()
        else:
            self._judge_dates("raw")
            self._wide()
        days = self._days()
        self._count()
        return days, self._errors()

    # ---- reading

    def _source(self) -> str:
        """``read_csv`` of the spool: every column VARCHAR, strict, structural errors to ``reject_errors``."""
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(self.width)) + "}"
        return (f"read_csv({_q(str(self.sp.path))}, columns = {columns}, delim = {_q(self.sp.delimiter)},"
                f" quote = '\"', escape = '\"', header = false, skip = {self.sp.skip}, auto_detect = false,"
                " strict_mode = true, store_rejects = true,"
                f" max_line_size = {MAX_LINE_BYTES * 2}, buffer_size = {READ_BUFFER})")

    def _joined(self) -> str:
        return " || ".join(f"coalesce(c{i}, '')" for i in range(self.width))

    def _blank(self) -> str:
        """SQL: the record is blank (every field spaces/tabs), else NULL. Only worked out when its date is blank."""
        d = f"c{self.cols.date}"
        # a blank text sorts before '!' (bytewise: tab and space are below it): a cheap guard for the regex
        return f"(CASE WHEN {d} IS NULL OR {d} < '!' THEN regexp_full_match({self._joined()}, '[ \t]*') END)"

    def _newlines(self) -> str:
        joined = self._joined()
        return f"(length({joined}) - length(replace({joined}, chr(10), '')))"

    def _empty(self) -> None:
        if self.mapping.layout == "long":
            self.con.execute("CREATE TABLE agg (d VARCHAR, p VARCHAR, vk VARCHAR, blank BOOLEAN, s HUGEINT, n BIGINT)")
            return
        empty = ", ".join(f"''::VARCHAR AS c{i}" for i in range(self.width))
        self.con.execute(f"CREATE TABLE raw AS SELECT {empty}, false AS blank, 0 AS nl LIMIT 0")

    def _refused(self, exc: Exception) -> tuple[dict[date, DayTotal], Iterator[RowError]]:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.stats.errors = 1
        return {}, iter([row_error(self.sp.first_line, None, None,
                                   f"the CSV could not be read: {first} (check quotes and line ends)")])

    # ---- values judged once per distinct raw text, by the rules

    def _fill(self, table: str, select: str, judge: Any, types: str) -> None:
        self.con.execute(f"CREATE TABLE {table} (raw VARCHAR, {types})")
        reader = self._cursor()
        writer = self.con
        reader.execute(select)
        while batch := reader.fetchmany(BATCH):
            results = [judge(r[0]) for r in batch]
            cols = list(zip(*[(r[0], *res) for r, res in zip(batch, results, strict=True)], strict=True))
            params = [list(c) for c in cols]
            unnest = ", ".join(f"unnest(${i + 1})" for i in range(len(params)))
            writer.execute(f"INSERT INTO {table} SELECT {unnest}", params)
        reader.close()

    def _judge_dates(self, table: str) -> None:
        def judge(raw: str) -> tuple[date | None, str | None]:
            try:
                return judge_air_date(raw, day_first=self.mapping.day_first, today=self.today), None
            except ValueError as exc:
                return None, str(exc)

        column = "d" if table == "agg" else f"c{self.cols.date}"
        self._fill("dates", f"SELECT DISTINCT {column} FROM {table} WHERE NOT blank", judge, "day DATE, reason VARCHAR")

    def _judge_viewers(self, select: str) -> None:
        """Fill ``viewers`` (raw -> value | missing | reason) for the cells of ``table`` SQL did not settle."""
        def judge(raw: str) -> tuple[int | None, bool, str | None]:
            if is_missing(raw) and "\x00" not in raw:
                return None, True, None
            try:
                return parse_viewers(raw, scale=self.mapping.viewers_scale, decimal_separator=self.dec), False, None
            except ValueError as exc:
                return None, False, str(exc)

        self._fill("viewers", select, judge, "value BIGINT, missing BOOLEAN, reason VARCHAR")

    # ---- long layout: one airing per record, aggregated while DuckDB reads

    def _long(self) -> None:
        """One streaming scan: records grouped by their raw date and programme texts (and blank flag).

        A viewer text SQL settles (the plain/grouped integer forms) is summed in its group; any
        other viewer text stays a group key of its own (``vk``), to be judged once by the rules.
        Only the groups are stored: their number follows the distinct texts, not the rows.
        """
        c = self.cols
        p = f"c{c.program}" if c.program is not None else "''"
        fast = _fast_viewers(f"c{c.viewers}", self.dec, self.mapping.viewers_scale)
        # raw columns as group keys (NULL is the empty text): no per-row copies; cleaned on the groups
        self.con.execute(f"""
            CREATE TABLE agg AS
            SELECT coalesce(d, '') AS d, coalesce(p, '') AS p, vk, coalesce(blank, false) AS blank, s, n FROM (
              SELECT d, p, vk, blank, sum(vf)::HUGEINT AS s, count(*) AS n FROM (
                SELECT c{c.date} AS d, {p} AS p, vf, {self._blank()} AS blank,
                       CASE WHEN vf IS NULL THEN coalesce(c{c.viewers}, '') END AS vk
                FROM (SELECT *, {fast} AS vf FROM {self._source()}))
              GROUP BY ALL)""")

    def _long_judge(self) -> None:
        self._judge_dates("agg")
        self._judge_viewers("SELECT DISTINCT vk FROM agg WHERE vk IS NOT NULL AND NOT blank")
        plain = (f"regexp_full_match(p, {_q(PLAIN_NAME_PATTERN)})"
                 f" AND NOT regexp_full_match(p, {_q(MISSING_PATTERN)}, 'i')")

        def judge(raw: str) -> tuple[str | None, str | None]:
            try:
                return program_name(raw), None
            except ValueError as exc:
                return None, str(exc)

        self.con.execute(f"CREATE TABLE names AS SELECT p, {plain} AS plain FROM (SELECT DISTINCT p FROM agg"
                         " WHERE NOT blank)")
        self._fill("programs", "SELECT p FROM names WHERE NOT plain", judge, "name VARCHAR, reason VARCHAR")
        self.con.execute(f"""
            CREATE TABLE cells AS
            SELECT a.n, dt.day, dt.reason AS date_reason,
                   CASE WHEN nm.plain THEN a.p ELSE pr.name END AS program,
                   CASE WHEN nm.plain THEN NULL ELSE pr.reason END AS program_reason,
                   coalesce(a.s, vw.value::HUGEINT * a.n) AS viewers,
                   CASE WHEN vw.missing THEN {_q(MISSING_VALUE)} ELSE vw.reason END AS viewers_reason
            FROM agg a
            LEFT JOIN dates dt ON dt.raw = a.d
            JOIN names nm ON nm.p = a.p
            LEFT JOIN programs pr ON NOT nm.plain AND pr.raw = a.p
            LEFT JOIN viewers vw ON a.vk IS NOT NULL AND vw.raw = a.vk
            WHERE NOT a.blank""")
        self.con.execute("""CREATE VIEW good AS SELECT day, program, viewers, n FROM cells
                            WHERE date_reason IS NULL AND program_reason IS NULL AND viewers_reason IS NULL""")

    # ---- wide layout: one airing per programme cell

    def _wide_read(self) -> None:
        cleaned = ", ".join(f"coalesce(c{i}, '') AS c{i}" for i in range(self.width))
        joined = self._joined()
        self.con.execute(f"""CREATE TABLE raw AS SELECT {cleaned}, regexp_full_match({joined}, '[ \t]*') AS blank,
                             {self._newlines()} AS nl FROM {self._source()}""")

    def _wide(self) -> None:
        c = self.cols
        fast = _fast_viewers("v", self.dec, self.mapping.viewers_scale)
        cells = " UNION ALL ".join(
            f"SELECT rowid AS r, {i} AS col, c{i} AS v FROM raw WHERE NOT blank" for i, _ in c.programs)
        self.con.execute(f"CREATE TABLE wide AS SELECT *, {fast} AS vf FROM ({cells})")
        self._judge_viewers("SELECT DISTINCT v FROM wide WHERE vf IS NULL")
        names = "CASE w.col " + " ".join(f"WHEN {i} THEN {_q(n)}" for i, n in c.programs) + " END"
        self.con.execute(f"""
            CREATE TABLE wcells AS
            SELECT w.r, w.col, {names} AS program,
                   coalesce(w.vf, vw.value) AS viewers, coalesce(vw.missing, false) AS missing,
                   CASE WHEN vw.missing THEN NULL ELSE vw.reason END AS reason
            FROM wide w LEFT JOIN viewers vw ON w.vf IS NULL AND vw.raw = w.v""")
        unnamed = " + ".join(f"(NOT regexp_full_match(trim(c{i}), {_q(MISSING_PATTERN)}, 'i')"
                             f" AND trim(c{i}) <> '')::INT" for i in c.unnamed) or "0"
        self.con.execute(f"""
            CREATE TABLE cells AS
            SELECT raw.rowid AS r, raw.nl, d.day, d.reason AS date_reason,
                   coalesce(a.bad, 0) AS bad_cells, coalesce(a.miss, 0) AS missing_cells, ({unnamed}) AS unnamed
            FROM raw LEFT JOIN dates d ON d.raw = c{c.date}
            LEFT JOIN (SELECT r, count(*) FILTER (WHERE reason IS NOT NULL) AS bad,
                              count(*) FILTER (WHERE missing) AS miss FROM wcells GROUP BY r) a ON a.r = raw.rowid
            WHERE NOT raw.blank""")
        self.con.execute("""CREATE TABLE good AS SELECT c.day, w.program, w.viewers, 1 AS n FROM wcells w
                            JOIN cells c ON c.r = w.r WHERE c.date_reason IS NULL AND w.reason IS NULL
                            AND NOT w.missing""")

    # ---- totals and counts

    def _days(self) -> dict[date, DayTotal]:
        top = self.cfg.top_programs
        rows = self.con.execute(f"""
            WITH per AS (SELECT day, coalesce(program, '') AS program, sum(viewers)::HUGEINT AS v, sum(n) AS n
                         FROM good GROUP BY ALL),
                 ranked AS (SELECT *, row_number() OVER (PARTITION BY day ORDER BY v DESC, program) AS k FROM per)
            SELECT day, sum(v)::VARCHAR, sum(n)::BIGINT,
                   list(struct_pack(p := program, v := v::VARCHAR)) FILTER (WHERE k <= {top}),
                   count(*) FILTER (WHERE k > {top}), coalesce(sum(v) FILTER (WHERE k > {top}), 0)::VARCHAR
            FROM ranked GROUP BY day ORDER BY day""").fetchall()
        return {d: DayTotal(int(v), n, {x["p"]: int(x["v"]) for x in progs or []}, others, int(ov))
                for d, v, n, progs, others, ov in rows}

    def _count(self) -> None:
        st, con = self.stats, self.con
        st.blank_lines += len(self.sp.empty_lines)
        if self.mapping.layout == "long":
            # one statement: the rejects, the blank records and all records (agg), the verdicts (cells)
            rejects, blank, total, n, failed, errors = con.execute("""
                SELECT (SELECT count(DISTINCT line) FROM rejects), a.*, c.* FROM
                  (SELECT coalesce(sum(n) FILTER (WHERE blank), 0), coalesce(sum(n), 0) FROM agg) a,
                  (SELECT coalesce(sum(n), 0),
                          coalesce(sum(n) FILTER (WHERE date_reason IS NOT NULL OR program_reason IS NOT NULL
                                                  OR viewers_reason IS NOT NULL), 0),
                          coalesce(sum(n * ((date_reason IS NOT NULL)::INT + (program_reason IS NOT NULL)::INT
                                            + (viewers_reason IS NOT NULL)::INT)), 0) FROM cells) c""").fetchone()
            st.blank_lines += int(blank)
            n, failed, errors = int(n), int(failed), int(errors)
            st.rows_ok = n - failed
            st.values_ok = st.rows_ok
            # every record and empty line is one physical line, unless a quoted field holds a newline
            self.multiline = self.sp.data_lines != int(total) + rejects + len(self.sp.empty_lines)
            self.failed_rows = failed
        else:
            rejects = con.execute("SELECT count(DISTINCT line) FROM rejects").fetchone()[0]
            st.blank_lines += con.execute("SELECT count(*) FROM raw WHERE blank").fetchone()[0]
            n, failed, errors, skipped, missing, values = con.execute(f"""
                SELECT count(*),
                       count(*) FILTER (WHERE date_reason IS NOT NULL OR bad_cells > 0 OR unnamed > 0),
                       sum((date_reason IS NOT NULL)::INT + bad_cells + unnamed),
                       count(*) FILTER (WHERE date_reason IS NULL AND bad_cells = 0 AND unnamed = 0
                                        AND missing_cells = {len(self.cols.programs)}),
                       sum(missing_cells),
                       (SELECT count(*) FROM good)
                FROM cells""").fetchone()
            st.rows_skipped = skipped
            st.rows_ok = n - failed - skipped
            st.skipped_missing = int(missing or 0)
            st.values_ok = values
        st.rows_seen = n + rejects
        st.rows_failed = failed + rejects
        st.errors = int(errors or 0) + rejects

    # ---- row errors, in line order

    def _errors(self) -> Iterator[RowError]:
        """Merge the error records (and multi-line ones) with DuckDB's rejects and the empty lines: line numbers.

        DuckDB numbers a record by records and empty lines before it (header included); a record's
        physical line also counts the newlines inside the quoted fields of the records before it.
        """
        sp = self.sp
        events = self._error_rows()
        rejects = self._cursor().execute(
            "SELECT line, any_value(error_type), any_value(csv_line), any_value(error_message)"
            " FROM rejects GROUP BY line ORDER BY line")
        empties = sp.empty_lines
        e_i = 0
        r = 0                   # good records (DuckDB rows) consumed
        d = 1                   # DuckDB number of the next record (the spool holds no header)
        line = sp.first_line    # physical line of the next record
        pend_row = next(events, None)
        pend_rej = rejects.fetchone()
        while pend_row is not None or pend_rej is not None:
            steps_row = pend_row[0] - r if pend_row is not None else None
            steps_rej = pend_rej[0] - d if pend_rej is not None else None
            nearest = min(s for s in (steps_row, steps_rej) if s is not None)
            # empty lines met before the next event: each one is skipped by DuckDB but numbered
            while e_i < len(empties) and empties[e_i] <= line + nearest:
                if empties[e_i] >= line:
                    plain = empties[e_i] - line  # single-line good records before the empty line
                    r, d, line = r + plain, d + plain + 1, line + plain + 1
                    nearest -= plain
                    if steps_row is not None:
                        steps_row -= plain
                    steps_rej = pend_rej[0] - d if pend_rej is not None else None
                    nearest = min(s for s in (steps_row, steps_rej) if s is not None)
                e_i += 1
            r, d, line = r + nearest, d + nearest, line + nearest
            if steps_rej is not None and steps_rej == nearest:
                _, kind, text, message = pend_rej
                body = (text or "").lstrip("\n")
                found = _FOUND.search(message or "")
                reason = _REASONS.get(kind, f"malformed CSV: {message}").format(
                    n=found[1] if found else "?", w=self.width)
                yield row_error(line, None, body.rstrip("\n"), reason)
                d += 1
                line += 1 + body.rstrip("\n").count("\n")
                pend_rej = rejects.fetchone()
            else:
                _, _multiline, errs, newlines = pend_row
                yield from (row_error(line, col, value, reason) for col, value, reason in errs)
                r, d = r + 1, d + 1
                line += 1 + newlines
                pend_row = next(events, None)
        rejects.close()

    def _long_events(self) -> Iterator[tuple[int, bool, list[tuple[str | None, str, str]], int]]:
        """The error records (and, if the file has any, the multi-line ones): a second, filtered scan.

        Only when there is something to number: ``row_number() OVER ()`` streams in file order and
        counts DuckDB's rows (rejects excluded, as in the merge); a record is selected when one of
        its texts was judged bad (semi-joins on the small verdict tables) or it spans lines.
        """
        if not self.failed_rows and not self.multiline:
            return
        if not self.multiline and (found := self._search_bad_lines()) is not None:
            yield from found
            return
        m, c = self.mapping, self.cols
        p = f"c{c.program}" if c.program is not None else "NULL"
        nl = self._newlines() if self.multiline else "0"
        self.con.execute("CREATE TABLE bad_d AS SELECT raw FROM dates WHERE reason IS NOT NULL")
        self.con.execute("""CREATE TABLE bad_p AS SELECT nm.p AS raw FROM names nm JOIN programs pr ON pr.raw = nm.p
                            WHERE NOT nm.plain AND pr.reason IS NOT NULL""")
        self.con.execute("CREATE TABLE bad_v AS SELECT raw FROM viewers WHERE missing OR reason IS NOT NULL")
        bad = " OR ".join(self._is_bad(col, table) for col, table in (
            (f"c{c.date}", "bad_d"), (p, "bad_p"), (f"c{c.viewers}", "bad_v")))
        cur = self._cursor().execute(f"""
            SELECT x.r, x.nl, x.d, dt.reason, x.p, CASE WHEN nm.plain THEN NULL ELSE pr.reason END, x.v,
                   CASE WHEN vw.missing THEN {_q(MISSING_VALUE)} ELSE vw.reason END
            FROM (SELECT r, nl, coalesce(d, '') AS d, coalesce(p, '') AS p, coalesce(v, '') AS v FROM (
                    SELECT row_number() OVER () - 1 AS r, c{c.date} AS d, {p} AS p, c{c.viewers} AS v, {nl} AS nl,
                           CASE WHEN {bad} THEN NOT coalesce({self._blank()}, false) ELSE false END AS bad
                    FROM {self._source()})
                  WHERE bad OR nl > 0) x
            LEFT JOIN dates dt ON dt.raw = x.d
            LEFT JOIN names nm ON nm.p = x.p
            LEFT JOIN programs pr ON pr.raw = x.p
            LEFT JOIN viewers vw ON vw.raw = x.v
            ORDER BY x.r""")
        while batch := cur.fetchmany(BATCH):
            for r, nls, dv, dr, pv, pr, vv, vr in batch:
                errs = [(col, val, why) for col, val, why in (
                    (m.air_date, dv, dr), (m.program, pv, pr), (m.viewers, vv, vr)) if why is not None]
                yield r, nls > 0, errs, nls
        cur.close()

    def _search_bad_lines(self) -> list[_Event] | None:
        """The bad rows found by a bytes-level search for their bad texts, when every record is one line.

        Each line holding a bad text is parsed (``csv``) and kept when a field of its column is one
        of that column's bad texts. Accepted only if exactly the rows the aggregate counted as
        failed are found, each a row DuckDB read with the header's width; anything else (an empty
        or quoted bad text, too many hits, a parse that disagrees) gives None: the scan does it.
        """
        m, c = self.mapping, self.cols
        reasons: dict[int, dict[str, str]] = {}
        # one query: up to SEARCH_TEXTS + 1 bad texts of each column (k: 0 date, 1 programme, 2 viewers)
        got: list[list[tuple[str, str]]] = [[], [], []]
        for k, raw, reason in self.con.execute(f"""
                SELECT * FROM (SELECT 0, raw, reason FROM dates WHERE reason IS NOT NULL LIMIT {SEARCH_TEXTS + 1})
                UNION ALL SELECT * FROM (SELECT 1, p.raw, p.reason FROM programs p JOIN names nm ON nm.p = p.raw
                                         WHERE NOT nm.plain AND p.reason IS NOT NULL LIMIT {SEARCH_TEXTS + 1})
                UNION ALL SELECT * FROM (SELECT 2, raw, CASE WHEN missing THEN {_q(MISSING_VALUE)} ELSE reason END
                                         FROM viewers WHERE missing OR reason IS NOT NULL
                                         LIMIT {SEARCH_TEXTS + 1})""").fetchall():
            got[k].append((raw, reason))
        for col, rows in zip((c.date, c.program, c.viewers), got, strict=True):
            if (rows and col is None) or len(rows) > SEARCH_TEXTS or any(not t or '"' in t for t, _ in rows):
                return None
            if col is not None:
                reasons[col] = dict(rows)
        needles = sorted({t.encode() for texts in reasons.values() for t in texts})
        rejected = set(self._rejects_sorted())
        budget = 2 * self.failed_rows + 1000
        names = {c.date: m.air_date, c.program: m.program, c.viewers: m.viewers}
        sp, found = self.sp, []
        with sp.path.open("rb") as fh:
            if sp.skip:
                fh.readline()  # the header line of a file read in place
            marks = sp.marks
            carry, line, base = b"", sp.first_line, 0  # line, base: physical number, data offset of buf[0]
            while True:
                piece = fh.read(1 << 20)
                buf = carry + piece
                end = buf.rfind(b"\n") + 1 if piece else len(buf)
                starts = sorted({buf.rfind(b"\n", 0, hit) + 1 for needle in needles
                                 for hit in _hits(buf, needle, end)})
                if len(found) + len(starts) > budget:
                    return None
                at = (0, line)  # a position in buf and its physical line
                for start in starts:
                    stop = buf.find(b"\n", start, end)
                    at = _line_of(buf, base, start, at, marks)
                    event = self._bad_line(buf[start:stop if stop >= 0 else end], at[1], rejected, reasons, names)
                    if event is False:
                        return None
                    if event is not None:
                        found.append(event)
                line = _line_of(buf, base, end, at, marks)[1]
                carry = buf[end:]
                base += end
                if not piece:
                    break
        if len(found) != self.failed_rows:
            return None
        return found

    def _bad_line(self, raw: bytes, line: int, rejected: set[int], reasons: dict[int, dict[str, str]],
                  names: dict[int | None, str | None]) -> _Event | bool | None:
        """The event of the bad row on physical ``line`` (None: not a bad row; False: cannot tell)."""
        sp = self.sp
        number = line - sp.first_line + 1  # DuckDB's record number: every record and empty line is one line
        if number in rejected:
            return None
        try:
            fields = next(csv.reader([raw.decode("utf-8")], delimiter=sp.delimiter, strict=True))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            return False
        if len(fields) != self.width:
            return False
        # reasons is in column order (date, programme, viewers), as the scan reports them
        errs = [(names[col], fields[col], why[fields[col]]) for col, why in reasons.items() if fields[col] in why]
        if not errs:
            return None
        empties = bisect.bisect_left(sp.empty_lines, line)
        before = self._rejects_before(number)
        return (number - 1 - empties - before, False, errs, 0)

    def _rejects_sorted(self) -> list[int]:
        if not hasattr(self, "_reject_lines"):
            self._reject_lines = [r[0] for r in self.con.execute(
                "SELECT DISTINCT line FROM rejects ORDER BY line").fetchall()]
        return self._reject_lines

    def _rejects_before(self, number: int) -> int:
        return bisect.bisect_left(self._rejects_sorted(), number)

    def _is_bad(self, col: str, table: str) -> str:
        """SQL: the raw ``col`` (NULL: the empty text) is one of the texts in ``table``; a few are inlined."""
        texts = [r[0] for r in self.con.execute(f"SELECT raw FROM {table} ORDER BY raw = '' DESC"
                                                f" LIMIT {INLINE_TEXTS + 1}").fetchall()]
        empty = bool(texts) and texts[0] == ""
        if col == "NULL":  # no such column: its text is always empty
            return "true" if empty else "false"
        if not texts:
            return "false"
        null = f"{col} IS NULL OR " if empty else ""
        if len(texts) <= INLINE_TEXTS:
            return f"({null}{col} IN ({', '.join(_q(t) for t in texts)}))"
        return f"({null}{col} IN (SELECT raw FROM {table}))"

    def _error_rows(self) -> Iterator[tuple[int, bool, list[tuple[str | None, str, str]], int]]:
        """(ordinal among DuckDB's rows, multiline, [(column, raw, reason)], newlines) of error and multi-line rows."""
        m, c = self.mapping, self.cols
        if m.layout == "long":
            yield from self._long_events()
            return
        ordinal = "SELECT rowid AS r, * FROM raw"
        sql = f"""
            SELECT o.r, o.nl > 0, o.nl, c{c.date}, cl.date_reason,
                   (SELECT list(struct_pack(col := x.col, reason := x.reason) ORDER BY x.col) FROM wcells x
                    WHERE x.r = o.r AND x.reason IS NOT NULL),
                   [{', '.join(f"c{i}" for i in c.unnamed) or ''}]::VARCHAR[]
            FROM ({ordinal}) o LEFT JOIN cells cl ON cl.r = o.r
            WHERE o.nl > 0 OR cl.date_reason IS NOT NULL OR cl.bad_cells > 0 OR cl.unnamed > 0
            ORDER BY o.r"""
        programs = dict(c.programs)
        cur = self._cursor().execute(sql)
        raw_cols = self._cursor()
        while batch := cur.fetchmany(BATCH):
            for r, multi, nls, dv, dr, bad, unnamed in batch:
                errs: list[tuple[str | None, str, str]] = []
                if dr is not None:
                    errs.append((m.air_date, dv, dr))
                if bad:
                    cols = ", ".join(f"c{x['col']}" for x in bad)
                    values = raw_cols.execute(f"SELECT {cols} FROM raw WHERE rowid = {r}").fetchone()
                    errs += [(programs[x["col"]], v, x["reason"]) for x, v in zip(bad, values, strict=True)]
                for i, v in zip(c.unnamed, unnamed or [], strict=False):
                    if not is_missing(v):
                        errs.append((f"#{i + 1}", v, "value in a column without a header"))
                yield r, multi, errs, nls
        cur.close()
        raw_cols.close()


__all__ = ["DayTotal", "Engine", "Import", "ParseStats", "Settings", "clip", "run_import"]
