"""Streaming parser for broadcast (TV) viewer CSV uploads.

The upload is read as an iterable of byte chunks and never held whole: bytes are split into
physical lines (``\\n`` never occurs inside a UTF-8 multi-byte sequence, so this is safe across
chunk boundaries), each line is decoded on its own (a bad byte spoils only its record), and
``csv.reader`` reads the decoded lines, so quoted fields may span lines and every record's
first physical line number is known.

Every non-blank data record ends up as ``BroadcastRow``\\ s or ``RowError``\\ s, never dropped:

* ``long`` layout: one record = one airing (``air_date``, ``program``, ``viewers`` columns).
  Missing values (``''``, ``NA``, ``N/A``, ``N/Ab``, ``-`` ...) in a mapped column are a
  ``RowError`` with reason ``missing value``.
* ``wide`` layout (one column per programme, e.g. the NZ news file): every non-missing cell is
  an airing; a missing cell means "not broadcast that day" and is counted in
  ``ParseStats.skipped_missing``; a record whose cells are all missing counts in ``rows_skipped``.

Numbers: ``1,234,567``, ``1.234.567``, ``1 234 567`` (also NBSP / narrow NBSP / apostrophe),
decimals like ``9.85`` (or ``9,85`` with ``decimal_separator=','``, the default for ``;`` files).
A decimal is only accepted when ``viewers_scale != 1`` (e.g. "viewers_in_millions"); ``1.234``
with scale 1 is an error, not a guess. Dates: ISO (``2002-06-11``, ``2002-06-11T20:00``),
``June 11, 2002``, ``Jun 11 2002``, ``11 June 2002``, ``11/06/2002`` (``day_first``) or
``06/11/2002``; a date without a year (``January 15``) is an error, not a guess.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workers.errors import RowError

__all__ = [
    "BroadcastRow",
    "ColumnMapping",
    "DayTotal",
    "ParseStats",
    "aggregate",
    "iter_broadcast_rows",
    "neutralize_csv_cell",
    "parse_air_date",
    "parse_viewers",
    "read_chunks",
    "write_csv",
]

MAX_VIEWERS = 2**63 - 1  # bigint
SNIFF_BYTES = 8 * 1024
SNIFF_LINES = 50
MAX_LINE_BYTES = 1024 * 1024
MISSING_VALUE = "missing value"
_DELIMITERS = (",", ";", "\t")


class ColumnMapping(BaseModel):
    """How the uploader's headers map to ``air_date`` / ``program`` / ``viewers``.

    ``layout='wide'``: ``air_date`` names the date column and ``viewers`` is ``'*'`` (every other
    column is a programme, minus ``ignore``) or one programme column; ``program`` must be None.
    ``viewers_scale`` multiplies the viewer figures (``1_000_000`` for "viewers_in_millions").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    air_date: str = Field(min_length=1)
    program: str | None = None
    viewers: str = Field(min_length=1)
    layout: Literal["long", "wide"] = "long"
    day_first: bool = False
    viewers_scale: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    delimiter: Literal[",", ";", "\t"] | None = None  # None: sniffed
    decimal_separator: Literal[".", ","] | None = None  # None: ',' for ';' files, else '.'
    ignore: tuple[str, ...] = ()  # wide layout: extra non-programme columns

    @model_validator(mode="after")
    def _check(self) -> ColumnMapping:
        if self.layout == "long":
            if self.viewers == "*":
                raise ValueError("viewers='*' is only for the wide layout")
            if self.ignore:
                raise ValueError("ignore is only for the wide layout")
            names = [self.air_date, self.viewers] + ([self.program] if self.program else [])
            if len(set(names)) != len(names):
                raise ValueError("air_date, program and viewers must be different columns")
        else:
            if self.program is not None:
                raise ValueError("wide layout takes programme names from the headers; leave program unset")
            if self.viewers == self.air_date:
                raise ValueError("viewers and air_date must be different columns")
        return self


@dataclass(frozen=True, slots=True)
class BroadcastRow:
    """One airing. ``line`` is the 1-based physical line where its record starts."""

    line: int
    air_date: date
    program: str | None
    viewers: int


@dataclass(slots=True)
class ParseStats:
    """Counters, updated while iterating. ``rows_ok + rows_failed + rows_skipped == rows_seen``."""

    rows_seen: int = 0       # non-blank data records
    rows_ok: int = 0         # records that gave only BroadcastRows
    rows_failed: int = 0     # records that gave at least one RowError
    rows_skipped: int = 0    # wide layout: records whose every programme cell is missing
    skipped_missing: int = 0  # wide layout: missing cells ("not broadcast")
    values_ok: int = 0       # BroadcastRows yielded
    errors: int = 0          # RowErrors yielded (including file-level ones)
    blank_lines: int = 0     # records with no content at all (not data rows)
    delimiter: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class DayTotal:
    viewers: int = 0
    programs: dict[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- values

_MISSING = re.compile(r"^(?:#?n/?a[a-z]?|nan|null|none|[-\u2013\u2014]+|\?)$", re.IGNORECASE)
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})


def is_missing(text: str | None) -> bool:
    """Empty, ``NA``, ``N/A``, footnoted ``N/Ab``, ``NaN``, ``null``, ``-`` and the like."""
    if text and text[0].isdigit():
        return False
    return text is None or not text.strip() or bool(_MISSING.match(text.strip()))


@functools.lru_cache(maxsize=4)
def _number_patterns(dec: str) -> tuple[list[tuple[str, re.Pattern[str]]], re.Pattern[str], re.Pattern[str],
                                        re.Pattern[str]]:
    """(thousands-grouped patterns, many-groups-of-dec, plain decimal, 'd.ddd') for a decimal separator."""
    d = re.escape(dec)
    grouped = [(sep, re.compile(rf"(\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+)(?:{d}(\d+))?"))
               for sep in (" ", "'", ",", ".") if sep != dec]
    return (grouped, re.compile(rf"\d{{1,3}}(?:{d}\d{{3}}){{2,}}"), re.compile(rf"\d*{d}\d+"),
            re.compile(rf"\d{{1,3}}{d}\d{{3}}"))


def parse_viewers(text: str, *, scale: float = 1.0, decimal_separator: str = ".") -> int:
    """Parse a viewer count; raises ``ValueError`` with a human reason."""
    raw = text.translate(_SPACES).strip()
    if raw.startswith("+"):
        raw = raw[1:]
    if raw.startswith("-"):
        raise ValueError("negative viewer count")
    dec = decimal_separator
    if raw.isdigit() and raw.isascii():
        if scale == 1:
            if len(raw) > 19 or int(raw) > MAX_VIEWERS:
                raise ValueError("number out of range")
            return int(raw)
        value: Decimal | None = Decimal(raw)
    else:
        value = None
        grouped_patterns, many, plain, three = _number_patterns(dec)
        for sep, pattern in grouped_patterns:
            if grouped := pattern.fullmatch(raw):
                value = Decimal(grouped[1].replace(sep, "") + ("." + grouped[2] if grouped[2] else ""))
                break
        if value is None:
            # '1.234.567' is thousands even when '.' is the decimal separator (two or more groups).
            if many.fullmatch(raw):
                value = Decimal(raw.replace(dec, ""))
            elif plain.fullmatch(raw):
                value = Decimal(raw.replace(dec, "."))
    if value is None:
        raise ValueError("not a number")
    if value != value.to_integral_value() and scale == 1:
        hint = f" (if {dec!r} separates thousands here, set decimal_separator)" if three.fullmatch(raw) else ""
        raise ValueError(f"non-integer viewer count{hint}")
    try:
        scaled = (value * Decimal(scale)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise ValueError("number out of range") from exc
    if scaled > MAX_VIEWERS:
        raise ValueError("number out of range")
    return int(scaled)


_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], 1) for name in names}
_WEEKDAY = re.compile(r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"
                  r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MONTH_FIRST = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$", re.IGNORECASE)
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([a-z]+)\.?,?[\s-]+(\d{4})$", re.IGNORECASE)
_SEASON = re.compile(r"^\d{4}\s*[-\u2013\u2014/]\s*\d{2,4}$")


def _ymd(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"invalid date ({exc})") from exc


def parse_air_date(text: str, *, day_first: bool = False) -> date:
    """Parse an air date; raises ``ValueError`` with a human reason (never guesses a year)."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # fast path: YYYY-MM-DD
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raw = _WEEKDAY.sub("", " ".join(text.translate(_SPACES).split()))
    if m := _ISO.match(raw):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _YMD_SLASH.match(raw):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC.match(raw):
        a, b = int(m[1]), int(m[2])
        day, month = (a, b) if day_first else (b, a)
        if month > 12:
            raise ValueError(f"invalid date (month {month} > 12 with day_first={day_first})")
        return _ymd(int(m[3]), month, day)
    if (m := _MONTH_FIRST.match(raw)) and (month := _MONTHS.get(m[1].casefold())):
        if m[3] is None:
            raise ValueError("date has no year")
        return _ymd(int(m[3]), month, int(m[2]))
    if (m := _DAY_FIRST.match(raw)) and (month := _MONTHS.get(m[2].casefold())):
        return _ymd(int(m[3]), month, int(m[1]))
    if _SEASON.match(raw):
        raise ValueError("a season range, not an air date")
    raise ValueError("unrecognised date format")


# --------------------------------------------------------------------------- streaming input


class _Lines:
    """Physical lines of a byte stream, decoded one by one; remembers lines that failed to decode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.bad: dict[int, str] = {}  # line number -> reason
        self.number = 0
        self._first = True

    def __iter__(self) -> Iterator[str]:
        buf = bytearray()
        discarding = False
        for chunk in self._chunks:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(f"chunks must be bytes, got {type(chunk).__name__}")
            start = 0
            chunk = bytes(chunk)
            while True:
                nl = chunk.find(b"\n", start)
                if nl < 0:
                    if not discarding:
                        buf += chunk[start:]
                        if len(buf) > MAX_LINE_BYTES:
                            buf.clear()
                            discarding = True
                    break
                if discarding:
                    discarding = False
                    yield self._overlong()
                else:
                    buf += chunk[start:nl + 1]
                    yield self._decode(bytes(buf))
                buf.clear()
                start = nl + 1
        if discarding:
            yield self._overlong()
        elif buf:
            yield self._decode(bytes(buf))

    def _overlong(self) -> str:
        self.number += 1
        self.bad[self.number] = f"line longer than {MAX_LINE_BYTES} bytes"
        return "\n"

    def _decode(self, raw: bytes) -> str:
        self.number += 1
        if self._first:
            self._first = False
            raw = raw.removeprefix(codecs.BOM_UTF8)
            if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                self.bad[self.number] = "the file is UTF-16; save it as UTF-8 CSV"
                return raw.decode("utf-8", "replace")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = raw[exc.start:exc.start + 1]
            self.bad[self.number] = f"invalid UTF-8 byte {byte!r} at column {exc.start + 1}"
            return raw.decode("utf-8", "replace")


def _sniff(sample: Sequence[str]) -> str:
    """Pick ',', ';' or tab: the candidate giving a multi-field header and the most consistent rows."""
    best, best_score = ",", (-1.0, 0)
    text = "".join(sample)
    for delim in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the last sampled line may be cut
        consistent = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


# --------------------------------------------------------------------------- the parser


def _norm_header(name: str) -> str:
    return " ".join(name.strip().casefold().split())


def iter_broadcast_rows(chunks: Iterable[bytes], mapping: ColumnMapping, *, today: date | None = None,
                        stats: ParseStats | None = None) -> Iterator[BroadcastRow | RowError]:
    """Stream ``BroadcastRow``\\ s and ``RowError``\\ s from CSV byte chunks; never raises on bad input.

    ``today``: air dates after it are errors. ``stats`` (optional) is updated as rows go by.
    A header problem yields one file-level ``RowError`` and stops.
    """
    st = stats if stats is not None else ParseStats()
    lines = _Lines(chunks)
    line_iter = iter(lines)

    # Sniff from a bounded prefix of lines, then put them back in front.
    head: list[str] = []
    size = 0
    for text in line_iter:
        head.append(text)
        size += len(text)
        if size >= SNIFF_BYTES or len(head) >= SNIFF_LINES:
            break
    delim = mapping.delimiter or _sniff(head)
    st.delimiter = delim
    dec = mapping.decimal_separator or ("," if delim == ";" else ".")

    def all_lines() -> Iterator[str]:
        yield from head
        yield from line_iter

    reader = csv.reader(all_lines(), delimiter=delim, strict=False)
    prev_end = 0

    def records() -> Iterator[tuple[int, list[str] | None, str | None]]:
        """(first line, fields or None, error reason) per record."""
        nonlocal prev_end
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start, prev_end = prev_end + 1, reader.line_num
                for n in [n for n in lines.bad if n <= prev_end]:
                    del lines.bad[n]
                yield start, None, f"malformed CSV: {exc}"
                continue
            start, prev_end = prev_end + 1, reader.line_num
            bad = [f"line {n}: {lines.bad[n]}" for n in range(start, prev_end + 1) if n in lines.bad]
            for n in [n for n in lines.bad if n <= prev_end]:
                del lines.bad[n]
            yield start, row, "; ".join(bad) if bad else None

    recs = records()
    header: list[str] | None = None
    header_line = 1
    for start, row, problem in recs:
        if problem:
            st.errors += 1
            yield RowError(line=start, column=None, value=None, reason=f"bad header: {problem}")
            return
        if row and any(c.strip() for c in row):
            header, header_line = row, start
            break
        st.blank_lines += 1
    if header is None:
        st.errors += 1
        yield RowError(line=1, column=None, value=None, reason="empty file: no header row")
        return

    names = [_norm_header(h) for h in header]
    found = ", ".join(repr(h.strip()) for h in header)

    def locate(col: str) -> int | RowError:
        want = _norm_header(col)
        hits = [i for i, n in enumerate(names) if n == want]
        if len(hits) == 1:
            return hits[0]
        reason = (f"column {col!r} appears {len(hits)} times in the header" if hits
                  else f"missing column {col!r} (header has {found}; delimiter {delim!r})")
        return RowError(line=header_line, column=col, value=None, reason=reason)

    wanted = [mapping.air_date] + ([mapping.program] if mapping.program else [])
    if mapping.layout == "long" or mapping.viewers != "*":
        wanted.append(mapping.viewers)
    wanted += list(mapping.ignore)
    located = {col: locate(col) for col in wanted}
    for where in located.values():
        if isinstance(where, RowError):
            st.errors += 1
            yield where
            return
    date_idx = located[mapping.air_date]
    if mapping.layout == "wide":
        if mapping.viewers == "*":
            skip = {date_idx} | {located[c] for c in mapping.ignore}
            programs = [(i, " ".join(header[i].split())) for i in range(len(header))
                        if i not in skip and header[i].strip()]
            unnamed = [i for i in range(len(header)) if i not in skip and not header[i].strip()]
        else:
            i = located[mapping.viewers]
            programs = [(i, " ".join(header[i].split()))]
            unnamed = []
        dupes = sorted({name for _, name in programs if [n for _, n in programs].count(name) > 1})
        if not programs or dupes:
            st.errors += 1
            yield RowError(line=header_line, column=dupes[0] if dupes else None, value=None,
                           reason=f"wide layout: programme column {dupes[0]!r} appears more than once"
                           if dupes else "wide layout: no programme columns")
            return
    else:
        viewers_idx = located[mapping.viewers]
        program_idx = located[mapping.program] if mapping.program else None
    width = len(header)

    for start, row, problem in recs:
        if row is not None and not any(c.strip() for c in row) and not problem:
            st.blank_lines += 1
            continue
        st.rows_seen += 1
        if problem or row is None:
            st.rows_failed += 1
            st.errors += 1
            yield RowError(line=start, column=None, value=_preview(row) if row else None,
                           reason=problem or "malformed CSV")
            continue
        if len(row) < width or (len(row) > width and any(c.strip() for c in row[width:])):
            st.rows_failed += 1
            st.errors += 1
            yield RowError(line=start, column=None, value=_preview(row),
                           reason=f"row has {len(row)} fields, header has {width}")
            continue
        out: list[BroadcastRow | RowError] = []
        day: date | None = None
        raw_date = row[date_idx]
        if is_missing(raw_date):
            out.append(RowError(line=start, column=mapping.air_date, value=_clip(raw_date), reason=MISSING_VALUE))
        else:
            try:
                day = parse_air_date(raw_date, day_first=mapping.day_first)
                if today is not None and day > today:
                    out.append(RowError(line=start, column=mapping.air_date, value=_clip(raw_date),
                                        reason=f"air date is after today ({today.isoformat()})"))
                    day = None
            except ValueError as exc:
                out.append(RowError(line=start, column=mapping.air_date, value=_clip(raw_date), reason=str(exc)))
        skipped_row = False
        if mapping.layout == "long":
            program: str | None = None
            if program_idx is not None:
                raw_prog = row[program_idx]
                if is_missing(raw_prog):
                    out.append(RowError(line=start, column=mapping.program, value=_clip(raw_prog),
                                        reason=MISSING_VALUE))
                else:
                    program = " ".join(raw_prog.split())
            viewers = _viewers_cell(row[viewers_idx], mapping.viewers, start, mapping, dec, out)
            if viewers is not None and day is not None and not any(isinstance(o, RowError) for o in out):
                out.append(BroadcastRow(line=start, air_date=day, program=program, viewers=viewers))
        else:
            cells = [(i, name, row[i]) for i, name in programs]
            missing = [c for c in cells if is_missing(c[2])]
            st.skipped_missing += len(missing)
            if len(missing) == len(cells) and not out:
                skipped_row = True
            pending: list[BroadcastRow] = []
            for _i, name, raw in cells:
                if is_missing(raw):
                    continue
                viewers = _viewers_cell(raw, name, start, mapping, dec, out)
                if viewers is not None and day is not None:
                    pending.append(BroadcastRow(line=start, air_date=day, program=name, viewers=viewers))
            for i in unnamed:
                if not is_missing(row[i]):
                    out.append(RowError(line=start, column=f"#{i + 1}", value=_clip(row[i]),
                                        reason="value in a column without a header"))
            if day is not None:
                out.extend(pending)  # the good cells of a row stay good even if a neighbour is bad
        errors = sum(isinstance(o, RowError) for o in out)
        if errors:
            st.rows_failed += 1
        elif skipped_row:
            st.rows_skipped += 1
        else:
            st.rows_ok += 1
        st.errors += errors
        st.values_ok += len(out) - errors
        yield from out


def _viewers_cell(raw: str, column: str, line: int, mapping: ColumnMapping, dec: str,
                  out: list[BroadcastRow | RowError]) -> int | None:
    if is_missing(raw):
        out.append(RowError(line=line, column=column, value=_clip(raw), reason=MISSING_VALUE))
        return None
    try:
        return parse_viewers(raw, scale=mapping.viewers_scale, decimal_separator=dec)
    except ValueError as exc:
        out.append(RowError(line=line, column=column, value=_clip(raw), reason=str(exc)))
        return None


def _clip(text: str, limit: int = 200) -> str:
    """Raw values in errors are clipped so one absurd cell cannot bloat the error report."""
    return text if len(text) <= limit else text[:limit] + "..."


def _preview(row: Sequence[str]) -> str:
    return _clip(",".join(row))


def read_chunks(fh: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """Byte chunks from a binary file object, for :func:`iter_broadcast_rows`."""
    while chunk := fh.read(size):
        yield chunk


# --------------------------------------------------------------------------- aggregation and output


def aggregate(rows: Iterable[BroadcastRow | RowError]) -> dict[date, DayTotal]:
    """Total viewers per air date and per programme (repeat airings of a programme are summed).

    ``RowError`` items are ignored, so the parser's output can be passed straight in. A row
    without a programme is filed under ``""``.
    """
    totals: dict[date, DayTotal] = {}
    for row in rows:
        if not isinstance(row, BroadcastRow):
            continue
        day = totals.setdefault(row.air_date, DayTotal())
        day.viewers += row.viewers
        key = row.program or ""
        day.programs[key] = day.programs.get(key, 0) + row.viewers
    return totals


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize_csv_cell(value: str) -> str:
    """Prefix a single quote to cells a spreadsheet could run as a formula (OWASP CSV injection).

    Triggers: a first character of ``= + - @``, TAB or CR (and their full-width forms), also
    after leading spaces.
    """
    if value and (value.startswith(_FORMULA_START) or value.lstrip(" ").startswith(_FORMULA_START[:4])):
        return "'" + value
    return value


def write_csv(rows: Iterable[Sequence[Any]], fh: IO[str], *, header: Sequence[str] | None = None,
              delimiter: str = ",") -> int:
    """Write rows as CSV with every text cell neutralised; numbers and dates are written as-is.

    Returns the number of data rows written. ``fh`` should be opened with ``newline=""``.
    """
    writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")

    def cell(v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, str):
            return neutralize_csv_cell(v)
        if isinstance(v, (bool, int, float, Decimal, date)):
            return v.isoformat() if isinstance(v, date) else v
        return neutralize_csv_cell(str(v))

    if header is not None:
        writer.writerow([cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([cell(v) for v in row])
        count += 1
    return count
