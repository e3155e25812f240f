"""Property tests: the broadcast engine never raises on bad input and accounts for every record."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.errors import RowError
from workers.sources.broadcast import ColumnMapping, ParseStats, run_import

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


def run(data: bytes, mapping: ColumnMapping, cuts: list[int]) -> tuple[dict, list[RowError], ParseStats]:
    with run_import(split(data, cuts), mapping, today=date(2030, 1, 1)) as imp:
        return imp.days, list(imp.errors()), imp.stats


def check(days: dict, errors: list[RowError], stats: ParseStats) -> None:
    assert all(isinstance(e, RowError) and e.line >= 1 for e in errors)
    assert stats.rows_ok + stats.rows_failed + stats.rows_skipped == stats.rows_seen
    assert stats.values_ok == sum(t.airings for t in days.values())
    assert stats.errors == len(errors)
    assert all(t.viewers >= 0 and t.viewers == sum(t.programs.values()) + t.other_viewers for t in days.values())
    if stats.rows_seen:  # no file-level stop: every failed record has its own start line
        assert len({e.line for e in errors}) == stats.rows_failed


@FUZZ
@given(data=st.binary(max_size=2000), mapping=MAPPINGS, cuts=st.lists(st.integers(0, 4000), max_size=8))
def test_arbitrary_bytes_never_raise(data, mapping, cuts):
    days, errors, stats = run(data, mapping, cuts)
    check(days, errors, stats)
    whole = run(data, mapping, [])  # chunk boundaries never change the result
    assert (days, [e.as_dict() for e in errors], stats) == (whole[0], [e.as_dict() for e in whole[1]], whole[2])


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
    check(*run(data, mapping, cuts))


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
    days, errors, stats = run(buf.getvalue().encode(), LONG, cuts)
    want: dict = {}
    for day, program, viewers in rows:
        progs = want.setdefault(day, {})
        progs[" ".join(program.split())] = progs.get(" ".join(program.split()), 0) + viewers
    assert errors == [] and {d: t.programs for d, t in days.items()} == want
    assert stats.rows_seen == stats.rows_ok == len(rows)
    check(days, errors, stats)
