"""The spool's line marks (a line number every MARK data bytes) and the bytes search that uses them."""

from __future__ import annotations

import random
from datetime import date

import pytest

from workers.sources.broadcast import ColumnMapping, engine, run_import
from workers.sources.broadcast.spool import MARK, in_place, spool

LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")


def big_file(seed: int, rows: int = 120_000) -> bytes:
    """Bad rows spread over many marks and 1 MiB reads: empty lines, rejects, long and short lines."""
    rnd = random.Random(seed)
    out = [b"air_date,program,viewers\n"]
    for i in range(rows):
        k = rnd.random()
        if k < 0.002:
            out.append(b"2024-01-02,B,N/A\n")
        elif k < 0.003:
            out.append(b"\n")
        elif k < 0.0035:
            out.append(b"2024-01-02,short\n")
        elif k < 0.004:
            out.append(b"January 15,C,7\n")
        elif k < 0.005:
            out.append(b"2024-01-03,\"" + b"x" * rnd.randint(1, 3 * MARK) + b"\",1\n")
        else:
            out.append(b"2024-01-%02d,P%d,\"%d\"\n" % (1 + i % 28, i % 40, rnd.randint(1, 10**6)))
    return b"".join(out)


def outcome(imp):
    return ({d: (t.viewers, t.airings, t.programs) for d, t in imp.days.items()},
            [e.as_dict() for e in imp.errors()], imp.stats.as_dict())


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("in_place_read", [True, False])
def test_the_bytes_search_over_many_marks_agrees_with_the_filtered_scan(tmp_path, monkeypatch, seed, in_place_read):
    data = big_file(seed)
    src = tmp_path / "upload.csv"
    src.write_bytes(data)
    local = src if in_place_read else None
    calls = []
    search = engine._Job._search_bad_lines

    def spy(self):
        got = search(self)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(engine._Job, "_search_bad_lines", spy)
    with run_import([data], LONG, today=date(2026, 11, 24), local=local) as imp:
        searched = outcome(imp)
    assert calls == [True], "the bytes search did not answer"
    monkeypatch.setattr(engine._Job, "_search_bad_lines", lambda self: None)
    with run_import([data], LONG, today=date(2026, 11, 24), local=local) as imp:
        assert outcome(imp) == searched
    assert len(searched[1]) > 300


@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"a,b\n" * 5000, (b"x" * (MARK - 1) + b"\n") * 7 + b"tail",
                                  b"\n".join(b"y" * n for n in range(0, 3000, 7))])
def test_every_mark_is_the_line_of_its_byte(tmp_path, data):
    head = b"h1,h2\n"
    src = tmp_path / "f.csv"
    src.write_bytes(head + data)
    for sp in (in_place(src), spool([head + data], tmp_path / "s.csv")):
        assert sp is not None and sp.error is None
        assert len(sp.marks) == (len(data) + MARK - 1) // MARK
        for k, line in enumerate(sp.marks):
            assert line == sp.first_line + data.count(b"\n", 0, k * MARK), k
