"""Hostile shapes: bounded work and a clear, typed error (a RowError), never a hang or a crash."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

from workers.sources.broadcast import MAX_COLUMNS, MAX_LINE_BYTES, ColumnMapping, run_import
from workers.sources.broadcast.engine import TOP_PROGRAMS
from workers.sources.broadcast.rules import duplicates

LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")
WIDE = ColumnMapping(air_date="air_date", viewers="*", layout="wide")


def parse(chunks, mapping=LONG):
    with run_import(chunks, mapping, today=date(2026, 11, 24)) as imp:
        return imp.days, list(imp.errors()), imp.stats


def test_a_120000_column_header_is_refused_quickly():
    header = "air_date," + ",".join(f"p{i}" for i in range(120_000))
    data = (header + "\n2024-01-01," + ",".join("1" for _ in range(120_000)) + "\n").encode()
    t0 = time.perf_counter()
    days, errs, stats = parse([data], WIDE)
    assert time.perf_counter() - t0 < 5
    (err,) = errs
    assert err.line == 1 and err.reason == f"the header has 120001 columns; at most {MAX_COLUMNS} are supported"
    assert days == {} and stats.rows_seen == 0 and stats.errors == 1


def test_the_duplicate_header_check_is_linear():
    names = [f"p{i}" for i in range(200_000)] + ["p7", "p3", "p7"]
    t0 = time.perf_counter()
    assert duplicates(names) == ["p3", "p7"]
    assert time.perf_counter() - t0 < 1
    days, errs, _ = parse([b"air_date,A,B,A\n2024-01-01,1,2,3\n"], WIDE)
    assert [(e.line, e.column, e.reason) for e in errs] == [
        (1, "A", "wide layout: programme column 'A' appears more than once")] and days == {}


def huge_line(size: int, consumed: list[int]) -> Iterator[bytes]:
    """A file whose second data line is ``size`` bytes, generated lazily (never held)."""
    yield b"air_date,program,viewers\n2024-01-01,A,1\n2024-01-02,"
    block = b"x" * (1 << 20)
    for _ in range(size >> 20):
        consumed.append(1)
        yield block
    yield b",5\n2024-01-03,B,2\n"


def test_a_100_mb_line_stops_with_a_clear_error_after_reading_little():
    consumed: list[int] = []
    t0 = time.perf_counter()
    days, errs, stats = parse(huge_line(100 << 20, consumed))
    assert time.perf_counter() - t0 < 5
    (err,) = errs
    assert err.line == 3 and err.reason.startswith(f"line 3 is longer than {MAX_LINE_BYTES} bytes")
    assert len(consumed) <= 2, "the rest of the line was read"
    assert days == {} and stats.rows_seen == 0


def test_a_100_mb_header_line_stops_too():
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"y" * (1 << 20)

    _, errs, _ = parse(chunks())
    (err,) = errs
    assert err.line == 1 and "the header is longer than" in err.reason


def test_nul_bytes_are_row_errors_with_an_escaped_raw_value():
    data = (b"air_date,program,viewers\n"
            b"2024-01-01,Good,1\n"
            b"2024-01-01,Bad\x00Name,2\n"      # a good row but for the NUL in its name
            b"2024-01-02,C,3\x004\n"           # a NUL in the number
            b"2024-01\x00-03,D,5\n")           # a NUL in the date
    days, errs, stats = parse([data])
    assert days[date(2024, 1, 1)].programs == {"Good": 1}
    assert [(e.line, e.column, e.value, e.reason) for e in errs] == [
        (3, "program", "Bad\\x00Name", "the value contains a NUL byte"),
        (4, "viewers", "3\\x004", "the value contains a NUL byte"),
        (5, "air_date", "2024-01\\x00-03", "the value contains a NUL byte")]
    assert all("\x00" not in (e.value or "") + e.reason for e in errs)
    assert (stats.rows_seen, stats.rows_failed) == (4, 3)


def test_a_nul_in_a_header_is_a_file_level_error():
    _, errs, _ = parse([b"air_date,program,viewers,x\x00y\n2024-01-01,A,1,2\n"])
    (err,) = errs
    assert "NUL" in err.reason and "\x00" not in err.reason


def test_detail_keeps_the_top_programmes_and_sums_the_others():
    n = 320_000
    lines = "".join(f"2024-01-01,Programme {i},{i + 1}\n" for i in range(n))
    data = ("air_date,program,viewers\n" + lines + "2024-01-02,Only,7\n").encode()
    days, errs, _ = parse([data])
    assert errs == []
    day = days[date(2024, 1, 1)]
    assert day.airings == n and day.viewers == n * (n + 1) // 2
    assert len(day.programs) == TOP_PROGRAMS == 50
    assert day.programs == {f"Programme {i}": i + 1 for i in range(n - 50, n)}  # the biggest audiences
    detail = day.detail()
    assert detail["other_programs"] == {"count": n - 50, "viewers": day.viewers - sum(day.programs.values())}
    assert days[date(2024, 1, 2)].detail() == {"programs": {"Only": 7}, "airings": 1}
