"""A kept :class:`Engine` (one DuckDB database for many imports) gives the one-off engine's answers."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from workers.config import load_settings
from workers.sources.broadcast import ColumnMapping, run_import
from workers.sources.broadcast.engine import Engine
from workers.sources.broadcast.job import BroadcastHandler

LONG = ColumnMapping(air_date="air_date", program="program", viewers="viewers")
WIDE = ColumnMapping(air_date="Date", viewers="*", layout="wide")
TODAY = date(2026, 11, 24)

FILES: list[tuple[bytes, ColumnMapping]] = [
    # bad values, an empty line, a multi-line record, a reject
    (b'air_date,program,viewers\n2024-01-01,A,"1,000"\n\n2024-01-01,"B\nC",x\n2024-01-02,A,N/A\n2024-01-02,short\n',
     LONG),
    # clean, other dates and programmes (a different file's tables must not leak into this one)
    (b"air_date,program,viewers\n2024-02-01,Z,5\n2024-02-02,Y,7\n2024-02-02,Z,9\n", LONG),
    # bad rows found by the bytes-level search
    (b"air_date,program,viewers\n" + b"2024-01-01,A,12\n" * 500 + b"2024-01-01,B,N/A\n2024-01-03,C,3\n", LONG),
    # wide layout
    (b"Date,Show A,Show B,\n2024-01-01,100,NA,\n2024-01-02,x,200,7\n", WIDE),
    # refused by DuckDB / a file-level error
    (b'air_date,program,viewers\n2024-01-01,"open,1\n', LONG),
    (b"air_date,program\n2024-01-01,A\n", LONG),
    # a header and no rows
    (b"air_date,program,viewers\n", LONG),
]


def outcome(imp):
    return ({d: (t.viewers, t.airings, t.programs, t.other_programs, t.other_viewers) for d, t in imp.days.items()},
            [e.as_dict() for e in imp.errors()], imp.stats.as_dict())


def one_off(data: bytes, mapping: ColumnMapping, local: Path | None = None):
    with run_import([data], mapping, today=TODAY, local=local) as imp:
        return outcome(imp)


def kept(engine: Engine, data: bytes, mapping: ColumnMapping, local: Path | None = None):
    with run_import([data], mapping, today=TODAY, local=local, engine=engine) as imp:
        return outcome(imp)


@pytest.mark.parametrize("in_place", [False, True])
def test_a_kept_engine_gives_the_same_answer_twice_and_across_different_files(tmp_path, in_place):
    expected = []
    for i, (data, mapping) in enumerate(FILES):
        src = tmp_path / f"upload-{i}.csv"
        src.write_bytes(data)
        expected.append(one_off(data, mapping, src if in_place else None))
    with Engine() as eng:
        for _round in range(2):
            for i, (data, mapping) in enumerate(FILES):
                local = tmp_path / f"upload-{i}.csv" if in_place else None
                assert kept(eng, data, mapping, local) == expected[i], (i, _round)
        assert eng.schemas() == [], "an import's schema outlived it"
    assert any(e[1] for e in expected) and any(e[0] for e in expected)


def test_imports_open_at_once_on_one_engine_keep_their_own_tables():
    (a, ma), (b, mb) = FILES[0], FILES[1]
    with Engine() as eng:
        first = run_import([a], ma, today=TODAY, engine=eng)
        second = run_import([b], mb, today=TODAY, engine=eng)
        with second:  # the second import's errors are read while the first is still open, and the other way
            got_b = outcome(second)
        with first:
            got_a = outcome(first)
        assert eng.schemas() == []
    assert got_a == one_off(a, ma) and got_b == one_off(b, mb)


def test_imports_in_threads_share_one_engine():
    expected = [one_off(d, m) for d, m in FILES]
    got: dict[int, list] = {}
    with Engine() as eng:
        def work(k: int) -> None:
            got[k] = [kept(eng, d, m) for d, m in FILES]
        threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert eng.schemas() == []
    assert got == {k: expected for k in range(3)}


def test_a_closed_engine_refuses_imports_and_removes_its_temp_dir(tmp_path):
    eng = Engine(workdir=tmp_path)
    assert kept(eng, *FILES[1]) == one_off(*FILES[1])
    assert list(tmp_path.iterdir())
    eng.close()
    assert not list(tmp_path.iterdir())
    with pytest.raises(RuntimeError, match="closed"):
        run_import([FILES[1][0]], LONG, today=TODAY, engine=eng)
    eng.close()  # twice is fine


def test_the_handler_keeps_one_engine_and_closes_it():
    handler = BroadcastHandler(load_settings())
    db = handler.engine.database()
    assert handler.engine.database() is db
    handler.close()
    with pytest.raises(RuntimeError, match="closed"):
        handler.engine.database()
