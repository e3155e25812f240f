"""Upload bytes -> a local spool file DuckDB can read, plus what DuckDB does not tell.

One pass, C-speed operations per chunk: the UTF-8 BOM is dropped, ``\\r\\n`` becomes ``\\n`` and a
bare ``\\r`` a space (DuckDB would read a bare CR as a line end; physical lines are counted by
``\\n``), blank lines before the header are skipped, the header record is kept apart (the spool
holds data records only), every empty physical line is noted (DuckDB skips them silently, and
line numbers must count them) and an over-long line stops the spool with a clear error.

:func:`in_place` runs the same checks over an upload that is already a local file, without
writing anything: when the file is in DuckDB's shape already (no BOM, no CR, the header on line 1)
DuckDB reads it where it is (skipping the header line), saving a full copy of the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workers.errors import RowError
from workers.sources.broadcast.rules import MAX_COLUMNS, MAX_LINE_BYTES, row_error, sniff_delimiter

PIECE = 256 * 1024  # input is cut to pieces this small, so only a line spanning pieces can be over-long
SNIFF_BYTES = 8 * 1024
MARK = 8 * 1024  # the physical line number is noted every MARK bytes of data (``Spooled.marks``)


@dataclass(slots=True)
class Spooled:
    """What the spool learned. ``error``: a file-level problem; nothing else is then meaningful."""

    path: Path
    error: RowError | None = None
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    first_line: int = 2  # physical line of the first data line
    delimiter: str = ","
    blank_before: int = 0  # blank lines before the header
    empty_lines: array = field(default_factory=lambda: array("q"))  # physical numbers of empty data lines
    data_bytes: int = 0
    skip: int = 0  # lines DuckDB skips at the start of ``path`` (1: the header, when read in place)
    newlines: int = 0  # "\n" in the data (after the header)
    ends_nl: bool = True  # the data ends with "\n" (or is empty)
    # marks[k]: physical line number of the data byte at offset k * MARK (counted by the pass anyway):
    # a line number anywhere is then a count over at most MARK bytes
    marks: array = field(default_factory=lambda: array("q"))

    @property
    def data_lines(self) -> int:
        """Physical lines of the data: every record and empty line ends one, or ends the file."""
        return self.newlines + (0 if self.ends_nl or not self.data_bytes else 1)


class _Limit(Exception):
    def __init__(self, error: RowError) -> None:
        self.error = error


def _pieces(chunks: Iterable[bytes]) -> Iterable[bytes]:
    """Input chunks, CR-normalised, cut to at most PIECE bytes."""
    held = b""
    first = True
    for chunk in chunks:
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f"chunks must be bytes, got {type(chunk).__name__}")
        data = held + bytes(chunk)
        if first and len(data) < 3 and codecs.BOM_UTF8.startswith(data):
            held = data  # maybe a BOM cut over chunks
            continue
        if first:
            first = False
            if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise _Limit(row_error(1, None, None, "the file is UTF-16; save it as UTF-8 CSV"))
            data = data.removeprefix(codecs.BOM_UTF8)
        held = b""
        if data.endswith(b"\r"):
            data, held = data[:-1], b"\r"
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b" ")
        for i in range(0, len(data), PIECE):
            yield data[i:i + PIECE]
    if held and not (first and codecs.BOM_UTF8.startswith(held)):
        yield held.replace(b"\r", b" ")


def spool(chunks: Iterable[bytes], path: Path, delimiter: str | None = None) -> Spooled:
    """Write the data records of an upload to ``path``; never raises on bad input."""
    out = Spooled(path)
    try:
        with path.open("wb") as fh:
            _spool(iter(_pieces(chunks)), fh, out, delimiter)
    except _Limit as stop:
        out.error = stop.error
    return out


class _NotInShape(Exception):
    pass


def _raw_pieces(path: Path) -> Iterable[bytes]:
    """A local file in pieces, as long as it needs no normalising (else ``_NotInShape``)."""
    with path.open("rb") as fh:
        first = True
        while piece := fh.read(PIECE):
            if first and piece.startswith((codecs.BOM_UTF8[:len(piece)], codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise _NotInShape
            first = False
            if b"\r" in piece:
                raise _NotInShape
            yield piece


def in_place(path: Path, delimiter: str | None = None, on_header: Callable[[Spooled], object] | None = None,
             ) -> Spooled | None:
    """The spool's checks over a local file DuckDB can read as it is; None when it needs :func:`spool`.

    ``on_header(spooled)`` is called once the header is known, before the rest of the pass.
    """
    out = Spooled(path, skip=1)
    try:
        _spool(iter(_raw_pieces(path)), None, out, delimiter, on_header)
    except _NotInShape:
        return None
    except _Limit as stop:
        out.error = stop.error
        return out
    if out.blank_before or out.first_line != 2:  # DuckDB skips just the first line
        return None
    return out


def _spool(pieces, fh, out: Spooled, delimiter: str | None,
           on_header: Callable[[Spooled], object] | None = None) -> None:
    buf = b""
    line = 1
    # the header: the first non-blank record (quoted fields may span lines)
    while True:
        start = 0
        while (nl := buf.find(b"\n", start)) >= 0 and not buf[start:nl].strip(b" \t"):
            out.blank_before += 1
            line += 1
            start = nl + 1
        buf = buf[start:]
        end = _record_end(buf)
        if end is not None and len(buf) - end > SNIFF_BYTES:
            break
        piece = next(pieces, None)
        if piece is None:
            break
        buf += piece
        if end is None and len(buf) > MAX_LINE_BYTES:
            raise _Limit(row_error(line, None, None, f"the header is longer than {MAX_LINE_BYTES} bytes;"
                                   " is this a CSV file with one record per line?"))
    end = _record_end(buf)
    if end is None:
        end = len(buf)
    head = buf[:end].rstrip(b"\n")
    if not head.strip():
        raise _Limit(row_error(1, None, None, "empty file: no header row"))
    out.header_line = line
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Limit(row_error(line, None, None, f"bad header: invalid UTF-8 byte {head[exc.start:exc.start + 1]!r}"
                               f" at column {exc.start + 1}")) from None
    sample = buf[:end + SNIFF_BYTES].decode("utf-8", "replace")
    out.delimiter = delimiter or sniff_delimiter(sample)
    try:
        out.header = next(csv.reader(io.StringIO(text, newline=""), delimiter=out.delimiter, strict=True))
    except (csv.Error, StopIteration) as exc:
        raise _Limit(row_error(line, None, None, f"bad header: malformed CSV ({exc})")) from None
    if len(out.header) > MAX_COLUMNS:
        raise _Limit(row_error(line, None, None, f"the header has {len(out.header)} columns; at most {MAX_COLUMNS}"
                               " are supported"))
    out.first_line = line + head.count(b"\n") + 1
    if on_header is not None:
        on_header(out)
    body = buf[end:]
    # the body: written as is; empty lines noted; line length bounded
    number = out.first_line  # physical number of the line being written
    run = 0  # bytes of that line so far
    prev_nl = True
    for piece in _chain(body, pieces):
        if not piece:
            continue
        first = piece.find(b"\n")
        if first < 0:
            run += len(piece)
        else:
            run += first
        if run > MAX_LINE_BYTES:
            raise _Limit(row_error(number, None, None, f"line {number} is longer than {MAX_LINE_BYTES} bytes;"
                                   " is this a CSV file with one record per line?"))
        if first >= 0:
            _note_empty(piece, prev_nl, number, out.empty_lines)
            run = len(piece) - piece.rfind(b"\n") - 1
        number = _marks(piece, out.data_bytes, number, out.marks)
        prev_nl = piece.endswith(b"\n")
        if fh is not None:
            fh.write(piece)
        out.data_bytes += len(piece)
    out.newlines = number - out.first_line
    out.ends_nl = prev_nl


def _marks(piece: bytes, offset: int, number: int, marks: array) -> int:
    """Note the marks falling in ``piece`` (data offset ``offset``, first line ``number``); its last line."""
    nxt, prev, end = len(marks) * MARK, 0, offset + len(piece)
    while nxt < end:
        number += piece.count(b"\n", prev, nxt - offset)
        prev = nxt - offset
        marks.append(number)
        nxt += MARK
    return number + piece.count(b"\n", prev)


def _chain(first: bytes, rest):
    yield first
    yield from rest


def _note_empty(piece: bytes, prev_nl: bool, number: int, into: array) -> None:
    """Append the physical numbers of the empty lines ending in ``piece`` (``number``: its first line)."""
    pos, count = 0, 0  # count: newlines before pos
    if prev_nl and piece.startswith(b"\n"):
        into.append(number)
    while (hit := piece.find(b"\n\n", pos)) >= 0:
        count += piece.count(b"\n", pos, hit + 1)
        into.append(number + count)
        pos = hit + 1


def _record_end(buf: bytes) -> int | None:
    """Index just past the first record's ending newline (quotes balanced), or None."""
    start = 0
    while (nl := buf.find(b"\n", start)) >= 0:
        if buf.count(b'"', 0, nl) % 2 == 0:
            return nl + 1
        start = nl + 1
    return None
