"""The engine's two scans: SQL viewer forms agree with the rules; line numbers of the filtered error scan."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.sources.broadcast import MAX_LINE_BYTES, ColumnMapping, engine, run_import
from workers.sources.broadcast.engine import INLINE_TEXTS, _fast_viewers
from workers.sources.broadcast.rules import integer_forms, parse_viewers

LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")


def parse(data: bytes, mapping: ColumnMapping = LONG, size: int = 5):
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    with run_import(chunks, mapping, today=date(2026, 11, 24)) as imp:
        return imp.days, [(e.line, e.column, e.value, e.reason) for e in imp.errors()], imp.stats


# --------------------------------------------------------------------------- SQL viewer forms = the rules

NUMBERISH = st.text(alphabet="0123456789,.' \u00a0+-x", max_size=16)
GROUPED = st.builds(lambda head, groups, sep: head + "".join(sep + g for g in groups),
                    st.from_regex(r"[0-9]{1,3}", fullmatch=True),
                    st.lists(st.from_regex(r"[0-9]{3}", fullmatch=True), min_size=1, max_size=5),
                    st.sampled_from([",", ".", " ", "'"]))


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(st.one_of(NUMBERISH, GROUPED, st.from_regex(r"[0-9]{1,20}", fullmatch=True)), max_size=30),
       dec=st.sampled_from([".", ","]))
def test_the_sql_fast_form_settles_only_what_the_rules_accept_with_the_same_value(texts, dec):
    con = duckdb.connect()
    got = con.execute(f"SELECT t, {_fast_viewers('t', dec, 1)} FROM unnest($1::VARCHAR[]) AS u(t)",
                      [texts]).fetchall()
    for text, value in got:
        try:
            want = parse_viewers(text, decimal_separator=dec)
        except ValueError:
            want = None
        if value is not None:  # SQL settled it: exactly the rules' value
            assert value == want, (text, dec)
        else:  # every text in one of the integer forms (in range) is settled in SQL: the hot path
            assert want is None or not any(re.fullmatch(p, text, re.ASCII) for p, _ in integer_forms(dec)), (text, dec)
    con.close()


# --------------------------------------------------------------------------- line numbers


def test_a_multi_line_record_then_a_bad_row_without_empty_lines():
    data = (b'air_date,program,viewers\n'
            b'2024-01-01,"Two\nlines",1\n'           # lines 2-3
            b'2024-01-01,B,2\n'                      # 4
            b'2024-01-02,"Three\n\nlines",3\n'       # 5-7 (an empty line inside quotes is data)
            b'2024-01-02,C,x\n')                     # 8
    days, errs, stats = parse(data)
    assert errs == [(8, "viewers", "x", "not a number")]
    assert days[date(2024, 1, 1)].programs == {"Two lines": 1, "B": 2}
    assert (stats.rows_seen, stats.rows_failed) == (4, 1)  # (blank_lines counts the quoted empty line: known)


def test_a_multi_line_record_then_a_bad_row_with_empty_lines_and_a_reject():
    data = (b'air_date,program,viewers\n'
            b'\n'                                    # 2: empty
            b'2024-01-01,"Two\nlines",1\n'           # 3-4
            b'\n'                                    # 5: empty
            b'2024-01-01,short\n'                    # 6: reject
            b',,\n'                                  # 7: blank record
            b'2024-01-01,"A\nB",N/A\n'               # 8-9: multi-line and bad
            b'\n'                                    # 10
            b'January 15,D,4\n')                     # 11
    days, errs, stats = parse(data)
    assert errs == [(6, None, "2024-01-01,short", "row has 2 fields, header has 3"),
                    (8, "viewers", "N/A", "missing value"),
                    (11, "air_date", "January 15", "date has no year")]
    assert days[date(2024, 1, 1)].programs == {"Two lines": 1}
    assert (stats.rows_seen, stats.rows_ok, stats.rows_failed, stats.blank_lines) == (4, 1, 3, 4)


def test_single_line_records_with_empty_lines_and_rejects_take_the_fast_mapping():
    lines = ["air_date,program,viewers"]
    want = []
    for i in range(200):
        if i % 37 == 5:
            lines.append("")
        elif i % 41 == 7:
            lines.append("2024-01-03,only two")
            want.append((len(lines), None))
        elif i % 13 == 3:
            lines.append(f"2024-01-02,P{i},N/A")
            want.append((len(lines), "viewers"))
        else:
            lines.append(f"2024-01-01,P{i % 7},\"{i:,}\"")
    _, errs, stats = parse(("\n".join(lines) + "\n").encode(), size=64)
    assert [(line, col) for line, col, _, _ in errs] == want
    assert stats.errors == len(want)


def test_many_distinct_bad_texts_use_the_semi_join_and_keep_their_lines():
    n = INLINE_TEXTS * 5
    lines = ["air_date,program,viewers"] + [f"2024-01-01,P,{i}" for i in range(50)]
    lines += [f"2024-01-0{1 + i % 2},Q,bad{i}" for i in range(n)]
    lines += [f"2024-13-{i:02d},R,5" for i in range(1, n + 1)]
    _, errs, stats = parse(("\n".join(lines) + "\n").encode(), size=4096)
    assert [e[0] for e in errs] == list(range(52, 52 + 2 * n))
    assert {e[1] for e in errs[:n]} == {"viewers"} and {e[1] for e in errs[n:]} == {"air_date"}
    assert stats.rows_failed == 2 * n


@pytest.mark.parametrize("final_newline", [True, False])
def test_the_last_record_without_a_newline(final_newline):
    data = b"air_date,program,viewers\n2024-01-01,A,1\n\n2024-01-01,\"B\nC\",2\n2024-01-02,D,x" + (
        b"\n" if final_newline else b"")
    _, errs, stats = parse(data)
    assert errs == [(6, "viewers", "x", "not a number")]
    assert stats.rows_seen == 3


# --------------------------------------------------------------------------- a local upload read in place


def outcome(imp):
    return ({d: (t.viewers, t.airings, t.programs, t.other_programs, t.other_viewers) for d, t in imp.days.items()},
            [e.as_dict() for e in imp.errors()], imp.stats.as_dict())


def test_a_local_file_in_shape_is_read_in_place_without_a_copy(tmp_path):
    data = b"air_date,program,viewers\n2024-01-01,A,\"1,000\"\n\n2024-01-01,\"B\nC\",x\n2024-01-02,A,short\n"
    src = tmp_path / "upload.csv"
    src.write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    with run_import(iter(()), LONG, today=date(2026, 11, 24), workdir=work, local=src) as imp:
        assert not list(work.rglob("data.csv")), "the upload was copied"
        got = outcome(imp)
    with run_import([data], LONG, today=date(2026, 11, 24)) as imp:
        assert outcome(imp) == got
    assert got[1][0]["line"] == 4 and got[1][1]["line"] == 6


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfair_date,program,viewers\n2024-01-01,A,1\n",          # BOM
    b"air_date,program,viewers\r\n2024-01-01,A,1\r\n2024-01-02,B,x\r\n",  # CRLF
    b"\n\nair_date,program,viewers\n2024-01-01,A,1\n2024-01-02,B,x\n",    # blank lines before the header
    b"air_date,\"pro\ngram\",viewers\n2024-01-01,A,1\n2024-01-02,B,x\n",  # a header over two lines
])
def test_a_local_file_out_of_shape_is_spooled(tmp_path, data):
    src = tmp_path / "upload.csv"
    src.write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    mapping = LONG if b"pro\ngram" not in data else ColumnMapping(air_date="air_date", program="pro gram",
                                                                    viewers="viewers")
    with run_import([data], mapping, today=date(2026, 11, 24), workdir=work, local=src) as imp:
        assert list(work.rglob("data.csv"))
        got = outcome(imp)
    with run_import([data], mapping, today=date(2026, 11, 24)) as imp:
        assert outcome(imp) == got


CELL = st.sampled_from(["", " ", "NA", "1,234", "12", "x", "2024-01-01", "June 11, 2002", '"q, c"', '"a\nb"',
                        '"a\n\nb"', '"open', "P\x00", "\t", "\r", "\xef\xbb\xbf"])


@settings(max_examples=150, deadline=None)
@given(records=st.lists(st.lists(CELL, max_size=4), max_size=12), head=st.sampled_from(["", "\n", "\xef\xbb\xbf"]),
       newline=st.sampled_from(["\n", "\r\n"]))
def test_in_place_and_spooled_reads_agree(tmp_path_factory, records, head, newline):
    data = (head + "air_date,program,viewers" + newline + newline.join(",".join(r) for r in records)).encode()
    src = tmp_path_factory.mktemp("in-place") / "upload.csv"
    src.write_bytes(data)
    with run_import([data], LONG, today=date(2026, 11, 24), local=src) as imp:
        a = outcome(imp)
    with run_import([data], LONG, today=date(2026, 11, 24)) as imp:
        assert outcome(imp) == a


@pytest.mark.parametrize("tail", [b"2024-01-03,C,3\r\n", b"2024-01-03," + b"x" * (MAX_LINE_BYTES + 10) + b",3\n"])
def test_a_file_found_out_of_shape_after_the_early_read_started_gives_the_spooled_outcome(tmp_path, tail):
    data = b"air_date,program,viewers\n" + b"2024-01-01,A,1\n" * 200_000 + b"2024-01-02,B,x\n" + tail
    src = tmp_path / "upload.csv"
    src.write_bytes(data)
    with run_import([data], LONG, today=date(2026, 11, 24), local=src) as imp:
        got = outcome(imp)
    with run_import([data], LONG, today=date(2026, 11, 24)) as imp:
        assert outcome(imp) == got
    assert got[1][0]["line"] == (200_002 if b"\r" in tail else 200_003)


# --------------------------------------------------------------------------- the bytes-level search of bad rows

SEARCHED = [
    # a bad viewer text that also occurs inside good rows' other fields and quoted
    b'air_date,program,viewers\n2024-01-01,N/A Show,1\n2024-01-01,A,N/A\n\n2024-01-02,B,"N/A"\n2024-01-02,short\n'
    b'2024-01-03,"x, N/A",5\n2024-01-03,C,N/A\n',
    # bad dates and programme texts, a reject and an invalid UTF-8 row in between
    b'air_date,program,viewers\nJanuary 15,A,1\n2024-01-01,P\x00,2\n2024-01-01,\xff,3\nJanuary 15,B,x\n'
    b'2024-01-02,R,4\n2024-01-02,Q,5\n',
    # an empty bad text (a missing programme): left to the scan
    b'air_date,program,viewers\n2024-01-02,,4\n2024-01-02,Q,5\n',
    # a bad text holding a quote: left to the scan
    b'air_date,program,viewers\n2024-01-01,A,"1""2"\n2024-01-01,B,3\n',
]


@pytest.mark.parametrize("data", SEARCHED)
@pytest.mark.parametrize("in_place", [True, False])
def test_the_bytes_search_of_bad_rows_agrees_with_the_filtered_scan(tmp_path, monkeypatch, data, in_place):
    src = tmp_path / "upload.csv"
    src.write_bytes(data)
    local = src if in_place else None
    with run_import([data], LONG, today=date(2026, 11, 24), local=local) as imp:
        searched = outcome(imp)
    monkeypatch.setattr(engine._Job, "_search_bad_lines", lambda self: None)
    with run_import([data], LONG, today=date(2026, 11, 24), local=local) as imp:
        assert outcome(imp) == searched
    assert searched[1], "no row errors"
