"""Broadcast CSV streaming parser on the real TV files and the synthetic variants."""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.helpers.external_fixtures import REPO_ROOT, SYNTHETIC, fixture, fixture_files
from workers.errors import RowError
from workers.reports.csv_output import neutralize_csv_cell, write_csv
from workers.sources.broadcast import ColumnMapping, DayTotal, ParseStats, parse_air_date, parse_viewers, run_import

IDOL = "tidytuesday_american_idol_ratings_first30_plus_quirk_rows.csv"
NZ = "nz_news_current_affairs_daily_viewers_excerpt.csv"
NIELSEN = "nielsen_season_top30_flim-springfield_excerpt.csv"

IDOL_MAPPING = ColumnMapping(air_date="airdate", program="episode", viewers="viewers_in_millions",
                             viewers_scale=1_000_000)
NZ_MAPPING = ColumnMapping(air_date="Date", viewers="*", layout="wide")
NIELSEN_MAPPING = ColumnMapping(air_date="tv_season", program="title", viewers="rating")
LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")


def chunks_of(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def parse(data: bytes, mapping: ColumnMapping, size: int = 7, **kw) -> tuple[dict[date, DayTotal], list[RowError],
                                                                              ParseStats]:
    with run_import(chunks_of(data, size), mapping, **kw) as imp:
        return imp.days, list(imp.errors()), imp.stats


def programs(days: dict[date, DayTotal]) -> list[tuple[date, str, int]]:
    return [(d, p, v) for d, t in sorted(days.items()) for p, v in sorted(t.programs.items())]


def check_accounting(days: dict[date, DayTotal], errors: list[RowError], stats: ParseStats) -> None:
    assert stats.rows_ok + stats.rows_failed + stats.rows_skipped == stats.rows_seen
    assert stats.errors == len(errors)
    assert stats.values_ok == sum(t.airings for t in days.values())
    assert all(t.viewers == sum(t.programs.values()) + t.other_viewers for t in days.values())
    if stats.rows_seen:  # every failed record has its own start line
        assert len({e.line for e in errors}) == stats.rows_failed


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_american_idol_millions_and_quirks(size):
    days, errs, stats = parse(fixture("tv_ratings", IDOL).read_bytes(), IDOL_MAPPING, size)
    assert days[date(2002, 6, 11)].programs == {"Auditions": 9_850_000}
    assert days[date(2010, 5, 19)].programs == {"Finale Part 1": 19_003_000} or \
        sum(days[date(2010, 5, 19)].programs.values()) == 19_003_000
    all_programs = {p for t in days.values() for p in t.programs}
    assert "New York, Miami & Austin Auditions" in all_programs
    assert "Las Vegas, Girls Perform" in all_programs  # double space collapsed
    assert "San Diego Auditionsa" in all_programs  # footnote letter left as data, not guessed
    assert 26_000_000 in {v for t in days.values() for v in t.programs.values()}  # "26"
    assert {(e.line, e.column, e.value, e.reason) for e in errs} == {
        (32, "viewers_in_millions", "NA", "missing value"),
        (38, "airdate", "January 15", "date has no year"),
        (39, "airdate", "May 1", "date has no year"),
    }
    assert (stats.rows_seen, stats.rows_ok, stats.rows_failed) == (39, 36, 3)
    check_accounting(days, errs, stats)


def test_nz_wide_layout_keeps_the_earthquake_spike():
    days, errs, stats = parse(fixture("tv_ratings", NZ).read_bytes(), NZ_MAPPING)
    assert errs == []
    assert days[date(2011, 2, 22)].programs == {"One News": 506_440, "3 News": 1_915_300}
    assert days[date(2011, 2, 22)].viewers == 506_440 + 1_915_300
    assert days[date(2011, 2, 24)].programs["One News"] == 1_577_460
    assert {p for t in days.values() for p in t.programs} == {"Campbell Live", "Close Up", "One News", "3 News"}
    assert days[date(2010, 2, 12)].programs["Campbell Live"] == 155_190
    # 37 data rows: 6 whole-NA days skipped; 185 cells of which 85 NA.
    assert (stats.rows_seen, stats.rows_ok, stats.rows_skipped, stats.rows_failed) == (37, 31, 6, 0)
    assert stats.skipped_missing == 85 and stats.values_ok == 100 == 185 - 85
    check_accounting(days, errs, stats)
    assert date(2010, 2, 26) not in days


def test_nielsen_season_rankings_are_not_viewer_data():
    """Decision: season ranks + household ratings carry no air date or viewer count.

    Mapped as season/title/rating, every row is reported (season range is not an air date;
    ratings like 61.6 are not viewer counts); nothing is invented or silently dropped.
    """
    days, errs, stats = parse(fixture("tv_ratings", NIELSEN).read_bytes(), NIELSEN_MAPPING)
    assert days == {}
    assert stats.rows_seen == stats.rows_failed == 32
    first = errs[0]
    assert (first.line, first.column, first.value, first.reason) == (
        2, "tv_season", "1950\u20131951", "a season range, not an air date")
    titles = [e for e in errs if e.line == 32]
    assert {e.column for e in titles} == {"tv_season", "rating"}
    check_accounting(days, errs, stats)
    # The spec's own column names are simply not there: one file-level error, then stop.
    days, errs, stats = parse(fixture("tv_ratings", NIELSEN).read_bytes(), LONG)
    (err,) = errs
    assert err.line == 1 and err.column == "air_date" and "missing column" in err.reason
    assert "'tv_season'" in err.reason and stats.rows_seen == 0


def test_every_real_tv_file_is_covered():
    assert {p.name for p in fixture_files("tv_ratings")} == {IDOL, NZ, NIELSEN}


# --------------------------------------------------------------------------- synthetic files


def synthetic(name: str) -> bytes:
    return (SYNTHETIC / name).read_bytes()


def test_synthetic_semicolon_dot_thousands_day_first():
    m = ColumnMapping(air_date="Sendedatum", program="Sendung", viewers="Zuschauer", day_first=True)
    days, errs, stats = parse(synthetic("semicolon_dot_thousands_day_first.csv"), m)
    assert stats.delimiter == ";" and errs == []
    assert programs(days) == [
        (date(2002, 6, 11), "Tagesschau", 1_234_567),
        (date(2002, 6, 12), "Tatort", 9_850_000),
        (date(2002, 6, 13), "Nachtmagazin", 1_234),
        (date(2002, 6, 14), "Wetten, dass..?", 12_500_000),
        (date(2002, 6, 15), "Sportschau", 987),
    ]


def test_synthetic_comma_thousands_quotes_and_embedded_newline_line_numbers():
    data = synthetic("comma_thousands_quoted_multiline.csv")
    days, errs, stats = parse(data, LONG, size=3)
    assert [(p, v) for _, p, v in programs(days)] == [
        ('The "Big" Show', 1_234_567), ("News, Weather & Sport", 2_500_000),
        ("Late Night", 987_654),  # quoted newline; whitespace collapsed
        ("Plain", 12_345)]
    assert errs == []
    check_accounting(days, errs, stats)
    # physical line 6, because the record before spans 4-5: a bad value there says so
    _, errs, _ = parse(data.replace(b"12345", b"x"), LONG)
    assert [(e.line, e.value) for e in errs] == [(6, "x")]


def test_synthetic_tabs_space_nbsp_thousands_and_date_formats():
    m = ColumnMapping(air_date="Date", program="Show", viewers="Audience")
    days, errs, stats = parse(synthetic("tab_space_thousands.tsv"), m)
    assert stats.delimiter == "\t" and errs == []
    assert [(d, t.viewers) for d, t in sorted(days.items())] == [
        (date(2002, 6, 11), 1_234_567), (date(2002, 6, 12), 2_345_678), (date(2002, 6, 13), 3_456_789 + 456_789)]
    assert days[date(2002, 6, 13)].airings == 2


def test_synthetic_bom_and_crlf():
    data = synthetic("bom_crlf.csv")
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    days, errs, _ = parse(data, LONG, size=1)  # the BOM split over three chunks
    assert [(p, v) for _, p, v in programs(days)] == [("Télé Matin", 120_000), ("Señorita", 230_000)]
    assert errs == []


def test_synthetic_bad_rows_each_reported_once_with_the_right_line():
    days, errs, stats = parse(synthetic("bad_rows.csv"), LONG)
    assert [(d, p) for d, p, _ in programs(days)] == [
        (date(2002, 6, 11), "Good Show"), (date(2002, 6, 18), '=HYPERLINK("http://evil.example","x")')]
    got = {e.line: (e.column, e.reason) for e in errs}
    assert got[3] == ("air_date", "invalid date (day is out of range for month)")
    assert got[4] == ("air_date", "unrecognised date format")
    assert got[5][0] == "air_date" and "month 13" in got[5][1]
    assert got[6] == ("air_date", "date has no year")
    assert got[7] == ("viewers", "negative viewer count")
    assert got[8] == ("viewers", "non-integer viewer count")
    assert got[9] == ("viewers", "missing value") == got[10]
    assert got[11] == (None, "row has 2 fields, header has 3")
    assert got[12][0] is None and "invalid UTF-8" in got[12][1]
    assert got[14] == (None, "malformed CSV: a quoted value is not closed (unterminated quote)")
    assert (stats.rows_seen, stats.rows_ok, stats.rows_failed) == (13, 2, 11)
    check_accounting(days, errs, stats)


def test_synthetic_millions_with_us_dates():
    m = ColumnMapping(air_date="airdate", program="episode", viewers="viewers_in_millions", viewers_scale=1e6)
    days, _, _ = parse(synthetic("millions_us_dates.csv"), m)
    assert [(d, t.viewers) for d, t in sorted(days.items())] == [
        (date(2002, 6, 11), 9_850_000), (date(2003, 1, 21), 26_500_000), (date(2003, 1, 29), 26_000_000),
        (date(2010, 5, 19), 19_003_000)]
    # The same file read day-first: 05/19/2010 has no month 19, so it is an error, not a swap.
    _, errs, _ = parse(synthetic("millions_us_dates.csv"), m.model_copy(update={"day_first": True}))
    assert [e.line for e in errs] == [3, 4, 5]


def test_synthetic_wide_semicolon_with_unnamed_column():
    days, errs, stats = parse(synthetic("wide_semicolon.csv"), ColumnMapping(air_date="Datum", viewers="*",
                                                                             layout="wide"))
    assert [(d.day, p, v) for d, p, v in programs(days)] == [
        (1, "Show A", 1000), (1, "Show B", 2000), (2, "Show B", 3000), (4, "Show A", 4000)]
    (err,) = errs
    assert (err.line, err.column, err.value) == (5, "#4", "99")
    assert (stats.rows_ok, stats.rows_skipped, stats.rows_failed, stats.skipped_missing) == (2, 1, 1, 4)
    check_accounting(days, errs, stats)


def test_synthetic_files_are_labelled_and_regenerate_identically(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("make_synthetic_fixtures",
                                                  REPO_ROOT / "scripts" / "make_synthetic_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    generated = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in SYNTHETIC.iterdir() if p.is_file()}
    assert generated == committed
    readme = committed["README.md"].decode()
    assert "SYNTHETIC" in readme
    assert all(f"`{name}`" in readme for name in committed if name != "README.md")
    assert module.main(["--out", str(SYNTHETIC), "--check"]) == 0


# --------------------------------------------------------------------------- input shapes


def test_multibyte_character_split_across_chunks():
    data = "air_date,program,viewers\n2002-06-11,Ñandú € 🎵,5\n".encode()
    for size in (1, 2, 3, 5):
        days, _, _ = parse(data, LONG, size=size)
        assert days[date(2002, 6, 11)].programs == {"Ñandú € 🎵": 5}


def test_missing_header_column_is_a_file_level_error_then_stop():
    days, errs, stats = parse(b"date,show,audience\n2002-06-11,A,1\n", LONG)
    assert len(errs) == 1 and errs[0].line == 1 and errs[0].column == "air_date"
    assert stats.rows_seen == 0 and days == {}


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_files(data):
    _, errs, _ = parse(data, LONG)
    assert len(errs) == 1 and "empty file" in errs[0].reason


def test_header_matching_is_case_and_space_insensitive_and_today_rejects_future():
    data = b" Air_Date ,PROGRAM,Viewers\n2002-06-11,A,1\n2030-01-01,B,2\n"
    days, errs, _ = parse(data, LONG, today=date(2026, 11, 24))
    assert days[date(2002, 6, 11)].programs == {"A": 1}
    (err,) = errs
    assert err.line == 3 and "after today" in err.reason


def test_blank_lines_are_counted_not_data_and_keep_line_numbers():
    days, errs, stats = parse(b"air_date,program,viewers\n\n2002-06-11,A,1\n,,\n\r\n\n2002-06-12,B,x\n", LONG)
    assert len(days) == 1 and stats.blank_lines == 4 and stats.rows_seen == 2
    assert [(e.line, e.value) for e in errs] == [(7, "x")]


def test_odd_line_breaks_and_a_quote_spanning_lines_keep_line_numbers():
    # physical lines are counted by "\\n" only; a bare CR is read as a space, CRLF as a line end
    for odd in ["\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"]:
        lines = ["air_date,program,viewers"] + [f"2024-01-{1 + i % 9:02d},Show{odd}{i % 3},{i}" for i in range(30)]
        lines[7] = f'2024-01-02,"Quoted{odd}\nand more",7'
        lines[12] = "2024-01-03,Bad,x"
        data = ("\n".join(lines) + "\n").encode()
        days, errs, stats = parse(data, LONG, size=5)
        assert [(e.line, e.value) for e in errs] == [(14, "x")], repr(odd)
        assert stats.rows_seen == 30 and sum(t.airings for t in days.values()) == 29
        assert sum(t.viewers for t in days.values()) == sum(range(30)) - 11 - 6 + 7, repr(odd)


def test_column_mapping_validation():
    with pytest.raises(ValidationError):
        ColumnMapping(air_date="d", viewers="*")  # '*' needs wide
    with pytest.raises(ValidationError):
        ColumnMapping(air_date="d", program="p", viewers="v", layout="wide")
    with pytest.raises(ValidationError):
        ColumnMapping(air_date="d", viewers="v", viewers_scale=0)
    with pytest.raises(ValidationError):
        ColumnMapping(air_date="d", viewers="d")
    with pytest.raises(ValidationError):
        ColumnMapping(air_date="d", viewers="v", delimiter="|")


# --------------------------------------------------------------------------- value parsers


@pytest.mark.parametrize(("text", "kw", "expected"), [
    ("1234567", {}, 1_234_567),
    ("1,234,567", {}, 1_234_567),
    ("1.234.567", {}, 1_234_567),
    ("1 234 567", {}, 1_234_567),
    ("1\u00a0234\u00a0567", {}, 1_234_567),
    ("1'234'567", {}, 1_234_567),
    ("9.85", {"scale": 1e6}, 9_850_000),
    ("19.003", {"scale": 1e6}, 19_003_000),
    ("9,85", {"scale": 1e6, "decimal_separator": ","}, 9_850_000),
    ("1.234", {"decimal_separator": ","}, 1_234),
    ("1.234.567,5", {"scale": 2, "decimal_separator": ","}, 2_469_135),
    (" 42 ", {}, 42),
])
def test_parse_viewers(text, kw, expected):
    assert parse_viewers(text, **kw) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("9.85", "non-integer"), ("1.234", "non-integer"), ("-1", "negative"), ("abc", "not a number"),
    ("1,23", "not a number"), ("1e6", "not a number"), ("1,234.567.8", "not a number"),
    ("9" * 40, "out of range"),
])
def test_parse_viewers_errors(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_viewers(text)


@pytest.mark.parametrize(("text", "day_first", "expected"), [
    ("2002-06-11", False, date(2002, 6, 11)),
    ("2002-06-11T20:00", False, date(2002, 6, 11)),
    ("2002-06-11 20:00:00+02:00", False, date(2002, 6, 11)),
    ("June 11, 2002", False, date(2002, 6, 11)),
    ("Jun 11 2002", False, date(2002, 6, 11)),
    ("Sept. 3, 2002", False, date(2002, 9, 3)),
    ("Tuesday, June 11, 2002", False, date(2002, 6, 11)),
    ("11 June 2002", False, date(2002, 6, 11)),
    ("11-Jun-2002", False, date(2002, 6, 11)),
    ("11/06/2002", True, date(2002, 6, 11)),
    ("06/11/2002", False, date(2002, 6, 11)),
    ("11.06.2002", True, date(2002, 6, 11)),
])
def test_parse_air_date(text, day_first, expected):
    assert parse_air_date(text, day_first=day_first) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("January 15", "no year"), ("2002-13-01", "invalid date"), ("11/25/2002", "month 25"),
    ("1950\u20131951", "season"), ("soon", "unrecognised"), ("Smarch 3, 2002", "unrecognised"),
])
def test_parse_air_date_errors(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_air_date(text, day_first=text == "11/25/2002")


# --------------------------------------------------------------------------- aggregation and output


@pytest.mark.parametrize(("cell", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("  =cmd", "'  =cmd"), ("\uff1dcmd", "'\uff1dcmd"), ("Plain", "Plain"), ("", ""),
    ("a=b", "a=b"),
])
def test_neutralize_csv_cell(cell, expected):
    assert neutralize_csv_cell(cell) == expected


def test_write_csv_neutralizes_text_but_not_numbers():
    buf = io.StringIO(newline="")
    n = write_csv([(date(2002, 6, 11), '=HYPERLINK("http://evil.example","x")', -5, None)], buf,
                  header=["air_date", "program", "viewers", "note"])
    assert n == 1
    assert buf.getvalue() == ('air_date,program,viewers,note\r\n'
                              '2002-06-11,"\'=HYPERLINK(""http://evil.example"",""x"")",-5,\r\n')


def test_clipped_error_values():
    data = b"air_date,program,viewers\n2002-06-11,A," + b"9" * 5000 + b"x\n"
    _, errs, _ = parse(data, LONG, size=64)
    (err,) = errs
    assert err.reason == "not a number" and len(err.value) == 203 and err.value.endswith("...")


def test_utf16_and_duplicate_wide_columns_are_file_level_errors():
    _, errs, _ = parse("air_date,program,viewers\n2002-06-11,A,1\n".encode("utf-16"), LONG)
    (err,) = errs
    assert err.line == 1 and "UTF-16" in err.reason
    wide = ColumnMapping(air_date="Date", viewers="*", layout="wide")
    _, errs, _ = parse(b"Date,News,News\n2024-01-01,1,2\n", wide)
    (err,) = errs
    assert err.line == 1 and err.column == "News" and "more than once" in err.reason
