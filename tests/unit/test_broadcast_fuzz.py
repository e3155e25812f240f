"""Property tests: the broadcast parser never raises on bad input and accounts for every record."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.errors import RowError
from workers.sources.broadcast import BroadcastRow, ColumnMapping, ParseStats, iter_broadcast_rows

LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")
WIDE = ColumnMapping(air_date="date", viewers="*", layout="wide")
SCALED = ColumnMapping(air_date="air_date", program="program", viewers="viewers", viewers_scale=1e6,
                       day_first=True)
MAPPINGS = st.sampled_from([LONG, WIDE, SCALED])
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    parts, last = [], 0
    for p in points:
        parts.append(data[last:p])
        last = p
    parts.append(data[last:])
    return parts


def run(data: bytes, mapping: ColumnMapping, cuts: list[int]) -> tuple[list, ParseStats]:
    stats = ParseStats()
    items = list(iter_broadcast_rows(split(data, cuts), mapping, stats=stats, today=date(2030, 1, 1)))
    return items, stats


def check(items: list, stats: ParseStats) -> None:
    assert all(isinstance(i, (BroadcastRow, RowError)) for i in items)
    assert stats.rows_ok + stats.rows_failed + stats.rows_skipped == stats.rows_seen
    assert stats.values_ok == sum(isinstance(i, BroadcastRow) for i in items)
    assert stats.errors == sum(isinstance(i, RowError) for i in items)
    for item in items:
        assert item.line >= 1
        if isinstance(item, BroadcastRow):
            assert item.viewers >= 0
    if stats.rows_seen:  # no file-level stop: every non-skipped record is represented
        assert len({i.line for i in items}) == stats.rows_ok + stats.rows_failed


@FUZZ
@given(data=st.binary(max_size=2000), mapping=MAPPINGS, cuts=st.lists(st.integers(0, 4000), max_size=8))
def test_arbitrary_bytes_never_raise(data, mapping, cuts):
    items, stats = run(data, mapping, cuts)
    check(items, stats)
    whole, _ = run(data, mapping, [])  # chunk boundaries never change the result
    assert [_key(i) for i in items] == [_key(i) for i in whole]


def _key(item: BroadcastRow | RowError) -> object:
    return item if isinstance(item, BroadcastRow) else item.as_dict()


HEADERS = {
    id(LONG): "air_date,program,viewers",
    id(SCALED): "air_date;program;viewers",
    id(WIDE): "date\tShow A\tShow B",
}
cell = st.one_of(
    st.sampled_from(["", "NA", "N/A", "N/Ab", "-", "1,234,567", "1.234.567", "1 234 567", "9.85", "-5",
                     "2002-06-11", "June 11, 2002", "11/06/2002", "January 15", "2002-02-30",
                     '"quoted, comma"', '"multi\nline"', '"dq ""x"""', "=cmd()", "\u00a0", "\ufeff"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
)
record = st.lists(cell, min_size=0, max_size=5)


@FUZZ
@given(mapping=MAPPINGS, records=st.lists(record, max_size=25), cuts=st.lists(st.integers(0, 4000), max_size=8),
       sep=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_csv_ish_text_never_raises_and_every_record_is_accounted(mapping, records, cuts, sep, newline, bom):
    text = HEADERS[id(mapping)].replace(",", sep).replace(";", sep).replace("\t", sep) + newline
    text += newline.join(sep.join(r) for r in records) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass")
    items, stats = run(data, mapping, cuts)
    check(items, stats)


PROGRAM = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=20).map(
    lambda s: "P" + s)  # a leading letter keeps it from looking like a missing-value marker


@FUZZ
@given(rows=st.lists(st.tuples(st.dates(date(1950, 1, 1), date(2029, 12, 31)), PROGRAM, st.integers(0, 10**12)),
                     max_size=20),
       cuts=st.lists(st.integers(0, 4000), max_size=8))
def test_well_formed_files_round_trip_exactly(rows, cuts):
    """Whatever csv.writer produces from valid rows comes back unchanged (whitespace collapsed)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["air_date", "program", "viewers"])
    for day, program, viewers in rows:
        writer.writerow([day.isoformat(), program, viewers])
    items, stats = run(buf.getvalue().encode(), LONG, cuts)
    assert [(i.line, i.air_date, i.program, i.viewers) for i in items] == [
        (n, d, " ".join(p.split()), v) for n, (d, p, v) in enumerate(rows, 2)]
    assert stats.rows_seen == stats.rows_ok == len(rows)
    check(items, stats)
