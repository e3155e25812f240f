"""The broadcast fast path (workers.broadcast_jobs.fast_long_import) agrees with the parser.

For every file where the fast path does not step aside, its per-day totals, per-programme
breakdown, airing counts, row errors (line, column, value, reason, in order) and statistics must
equal what ``iter_broadcast_rows`` + aggregation give: on every synthetic and real fixture, on
generated files, and on Hypothesis-generated CSV-ish input. No database needed.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.broadcast_jobs import FastPathAbandoned, fast_long_import
from workers.errors import RowError
from workers.sources.broadcast import BroadcastRow, ColumnMapping, ParseStats, iter_broadcast_rows

SYNTHETIC = Path(__file__).resolve().parents[1] / "fixtures" / "synthetic"
TODAY = date(2026, 11, 24)
LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def by_parser(data: bytes, mapping: ColumnMapping, size: int):
    stats = ParseStats()
    totals: dict = {}
    errors = []
    for item in iter_broadcast_rows(chunked(data, size), mapping, today=TODAY, stats=stats):
        if isinstance(item, BroadcastRow):
            t = totals.setdefault(item.air_date, [0, 0, {}])
            t[0] += item.viewers
            t[1] += 1
            t[2][item.program or ""] = t[2].get(item.program or "", 0) + item.viewers
        else:
            errors.append(item.as_dict())
    return totals, errors, stats.as_dict()


def by_fast_path(data: bytes, mapping: ColumnMapping, size: int):
    stats = ParseStats()
    errors: list[dict] = []

    def on_error(e: RowError) -> None:
        errors.append(e.as_dict())

    try:
        totals = fast_long_import(chunked(data, size), mapping, today=TODAY, stats=stats, on_error=on_error)
    except FastPathAbandoned:
        return None
    return totals, errors, stats.as_dict()


def same(data: bytes, mapping: ColumnMapping, size: int = 1 << 20) -> bool:
    """True if the fast path handled the file (and then it must agree); False if it stepped aside."""
    fast = by_fast_path(data, mapping, size)
    if fast is None:
        return False
    assert fast == by_parser(data, mapping, size)
    return True


FILES = [
    (SYNTHETIC / "bom_crlf.csv", LONG, True),
    (SYNTHETIC / "comma_thousands_quoted_multiline.csv", LONG, True),
    (SYNTHETIC / "semicolon_dot_thousands_day_first.csv",
     ColumnMapping(air_date="Sendedatum", program="Sendung", viewers="Zuschauer", day_first=True), True),
    (SYNTHETIC / "tab_space_thousands.tsv", ColumnMapping(air_date="Date", program="Show", viewers="Audience"), True),
    (SYNTHETIC / "bad_rows.csv", LONG, False),  # invalid UTF-8 on line 12: the parser's job
    (SYNTHETIC / "millions_us_dates.csv",
     ColumnMapping(air_date="airdate", program="episode", viewers="viewers_in_millions", viewers_scale=1e6), False),
    (SYNTHETIC / "wide_semicolon.csv", ColumnMapping(air_date="Datum", viewers="*", layout="wide"), False),
]


@pytest.mark.parametrize(("path", "mapping", "handled"), FILES, ids=[f[0].name for f in FILES])
@pytest.mark.parametrize("size", [7, 1 << 20])
def test_fixture_files(path, mapping, handled, size):
    assert same(path.read_bytes(), mapping, size) is handled


def test_real_tv_files(shared_fixtures):
    nielsen = (shared_fixtures / "tv_ratings" / "nielsen_season_top30_flim-springfield_excerpt.csv").read_bytes()
    # season ranges are not air dates: every row is an error, reported identically
    assert same(nielsen, ColumnMapping(air_date="tv_season", program="title", viewers="rating"), 13)
    idol = (shared_fixtures / "tv_ratings" / "tidytuesday_american_idol_ratings_first30_plus_quirk_rows.csv")
    assert same(idol.read_bytes(), ColumnMapping(air_date="airdate", program="episode", viewers="show_number"), 64)


def test_generated_files_with_every_quirk_per_row():
    rnd = random.Random(5)
    dates = ["2024-01-05", "2024-02-30", "January 15", "June 11, 2002", "11/06/2002", "2030-01-01", "NA", "",
             "2024-01-06T20:00", "2024-01-07"]
    progs = ["News", "  News  ", "N/A", "", "=cmd()", "Late  Show", '"Quoted, Show"', "-"]
    views = ["1000", "1,234,567", "1.234.567", "12.5", "-5", "N/A", "", "9" * 19, "0012", "1 234", "x"]
    lines = ["air_date,program,viewers"]
    for i in range(3000):
        if i % 97 == 0:
            lines.append("")
        elif i % 89 == 0:
            lines.append("2024-01-05,Too few")
        elif i % 83 == 0:
            lines.append("2024-01-05,Extra,5,,")
        else:
            lines.append(",".join([rnd.choice(dates), rnd.choice(progs), f'"{rnd.choice(views)}"'
                                   if rnd.random() < 0.3 else rnd.choice(views)]))
    lines.append("2024-03-03,N/A,5")  # a valid day whose only row fails: no total for that day
    data = ("\n".join(lines) + "\n").encode()
    assert same(data, LONG, 4096)
    assert same(data, LONG, 1 << 20)
    assert same(data.replace(b"\n", b"\r\n"), LONG, 333)


cell = st.text(alphabet=st.sampled_from(list("0123456789,.;\t -/NA\"x\r\n ")), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=4), max_size=25),
       header=st.sampled_from(["air_date,program,viewers", "air_date;program;viewers", "air_date\tprogram\tviewers"]),
       size=st.integers(1, 64))
def test_property_fast_path_equals_parser(rows, header, size):
    delim = header[8]
    text = header + "\n" + "\n".join(delim.join(r) for r in rows) + "\n"
    same(text.encode(), LONG, size)
