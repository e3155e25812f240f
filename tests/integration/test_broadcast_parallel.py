"""The parallel broadcast parse (workers.broadcast_parallel) agrees with the single-process fast path.

A big upload is spooled to a temp file, cut into segments at newlines outside quoted fields and
parsed by this process plus helper processes. Here the thresholds are forced tiny (segments of a
few dozen bytes) so cuts land everywhere: next to quoted fields holding newlines and
delimiters, after a BOM, in CRLF files. Per-day totals, per-programme breakdowns, airing counts,
row errors (line, column, value, reason, in order) and statistics must equal
``fast_long_import`` on the whole file; when that path steps aside, the parallel one must too.
The last tests run the real worker end to end.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.integration.test_broadcast_import import LONG, import_errors, job, metric_rows, request_import, run, upload
from workers.broadcast_jobs import BroadcastHandler
from workers.broadcast_parallel import (
    FastPathAbandoned,
    Spool,
    fast_long_import,
    helpers_idle,
    parallel_long_import,
    start_helpers,
    stop_helpers,
    wait_ready,
)
from workers.config import load_settings
from workers.errors import RowError
from workers.sources.broadcast import BroadcastRow, ColumnMapping, ParseStats, iter_broadcast_rows
from workers.storage import LocalStorage

SYNTHETIC = Path(__file__).resolve().parents[1] / "fixtures" / "synthetic"
TODAY = date(2026, 11, 24)
LONG_MAP = ColumnMapping(**LONG)


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def single(data: bytes, mapping: ColumnMapping):
    """The single-process fast path: (totals, errors, stats), or None when it steps aside."""
    stats, errors = ParseStats(), []
    try:
        totals = fast_long_import(chunked(data, 1 << 20), mapping, today=TODAY, stats=stats,
                                  on_error=lambda e: errors.append(e.as_dict()))
    except FastPathAbandoned:
        return None
    return totals, errors, stats.as_dict()


class Collect:
    def __init__(self) -> None:
        self.errors: list[dict] = []

    def add(self, e: RowError) -> None:
        self.errors.append(e.as_dict())


@pytest.fixture(scope="module")
def pool():
    """Helper sets, reused from test to test (an abandoned parse stops its set; a new one starts)."""
    sets: list = []

    def get(n: int = 1):
        for procs in sets:
            if len(procs) == n and helpers_idle(procs):
                return procs
        sets.append(start_helpers(n))
        return sets[-1]

    yield get
    for procs in sets:
        stop_helpers(procs)
    assert not any(helpers_idle(procs) for procs in sets)


def parallel(data: bytes, mapping: ColumnMapping, tmp: Path, procs, *, segment: int, chunk: int = 1 << 20,
             parent_share: bool = False):
    """The parallel path alone (no fallback): (totals, errors, stats, segments), or None when abandoned."""
    assert wait_ready(procs)
    spool = Spool(tmp, segment)
    for c in chunked(data, chunk):
        spool.write(c)
    spool.close()
    try:
        result = parallel_long_import(spool, mapping, procs, today=TODAY, parent_share=parent_share)
    except FastPathAbandoned:
        assert not helpers_idle(procs)  # stopped
        return None
    assert helpers_idle(procs)  # kept for the next file
    stats, sink = ParseStats(), Collect()
    totals = result.apply(stats, sink.add)
    return totals, sink.errors, stats.as_dict(), result.segments


def handler_fast(data: bytes, mapping: ColumnMapping, *, segment: int):
    """BroadcastHandler._fast with tiny thresholds: what the job gets (parallel, or its fallback)."""
    h = BroadcastHandler(load_settings(log_json=False))
    h.prestart_helpers, h.parallel_min_bytes, h.segment_bytes, h.helpers = False, 0, segment, 1
    h.close()
    stats, sink = ParseStats(), Collect()
    ctx = SimpleNamespace(log=logging.getLogger("test"))
    try:
        totals, used, _ = h._fast(ctx, SimpleNamespace(id="job"), chunked(data, 4096), mapping, TODAY, stats, sink)
    except FastPathAbandoned:
        return None, None
    finally:
        h.close()
    return (totals, sink.errors, stats.as_dict()), used


def cuts_are_between_records(spool: Spool, data: bytes) -> None:
    for cut in spool.cuts:
        assert data[cut - 1:cut] == b"\n"
        assert data.count(b'"', 0, cut) % 2 == 0


FIXTURES = [
    ("bom_crlf.csv", LONG_MAP),
    ("comma_thousands_quoted_multiline.csv", LONG_MAP),
    ("semicolon_dot_thousands_day_first.csv",
     ColumnMapping(air_date="Sendedatum", program="Sendung", viewers="Zuschauer", day_first=True)),
    ("tab_space_thousands.tsv", ColumnMapping(air_date="Date", program="Show", viewers="Audience")),
    ("bad_rows.csv", LONG_MAP),  # invalid UTF-8: both paths step aside
    ("millions_us_dates.csv",
     ColumnMapping(air_date="airdate", program="episode", viewers="viewers_in_millions", viewers_scale=1e6)),
    ("wide_semicolon.csv", ColumnMapping(air_date="Datum", viewers="*", layout="wide")),
]


def test_every_synthetic_fixture_in_segments(tmp_path, pool):
    assert {f.name for f in SYNTHETIC.iterdir() if f.suffix in (".csv", ".tsv")} == {n for n, _ in FIXTURES}
    handled = 0
    for n, (name, mapping) in enumerate(FIXTURES):
        data = (SYNTHETIC / name).read_bytes()
        want = single(data, mapping)
        work = tmp_path / str(n)
        work.mkdir()
        got = parallel(data, mapping, work, pool(), segment=1, chunk=33)  # a cut after every record
        if want is None:
            assert got is None, name
            continue
        assert got is not None, name
        assert got[:3] == want, name
        assert got[3] >= 3, name  # really cut in pieces
        handled += 1
    assert handled == 4


def generated(seed: int, rows: int = 600, *, crlf: bool = False, bom: bool = False) -> bytes:
    """Quoted fields with newlines, delimiters and doubled quotes, blank lines, short and long rows, bad cells."""
    rnd = random.Random(seed)
    programs = ["News", '"Late, Late Show"', '"Two\nLines"', '"Say ""Hi"""', '"Multi\n\nline, with ""quotes"""',
                "N/A", "", "  Spaced   Out ", '"=cmd()"']
    views = ["1000", '"1,234,567"', "12,345", "1.5", "N/A", "", "-3", "0012", '"7\n"', "9" * 20]
    dates = ["2024-01-05", "2024-02-30", "June 11, 2002", "2030-01-01", "NA", '"2024-01-06"', "11/06/2002"]
    out = ["air_date,program,viewers"]
    for i in range(rows):
        if i % 61 == 0:
            out.append("")
        elif i % 53 == 0:
            out.append("2024-01-05,Too few")
        elif i % 47 == 0:
            out.append("2024-01-05,Extra,5,,")
        else:
            out.append(",".join([rnd.choice(dates), rnd.choice(programs), rnd.choice(views)]))
    text = "\n".join(out) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode()
    return b"\xef\xbb\xbf" + data if bom else data


@pytest.mark.parametrize(("seed", "crlf", "bom"), [(1, False, False), (2, True, True)])
def test_generated_files_cut_next_to_quoted_newlines_and_delimiters(tmp_path, pool, seed, crlf, bom):
    data = generated(seed, crlf=crlf, bom=bom)
    want = single(data, LONG_MAP)
    assert want is not None and want[1], "the file has good and bad rows"
    rnd = random.Random(seed)
    for k, segment in enumerate([1, rnd.randint(20, 90), rnd.randint(200, 900)]):
        work = tmp_path / str(k)
        work.mkdir()
        spool_probe = Spool(work, segment)
        for c in chunked(data, 77):
            spool_probe.write(c)
        spool_probe.close()
        cuts_are_between_records(spool_probe, data)
        got = parallel(data, LONG_MAP, work, pool(), segment=segment, chunk=rnd.randint(5, 300))
        assert got is not None
        assert got[:3] == want
        assert got[3] > 2


def test_the_parent_and_two_helpers_share_the_segments(tmp_path, pool):
    data = generated(9, rows=3000)
    want = single(data, LONG_MAP)
    got = parallel(data, LONG_MAP, tmp_path, pool(2), segment=500, parent_share=True)
    assert got is not None and got[:3] == want


def test_a_stray_quote_fooling_the_cut_abandons_and_the_job_falls_back(tmp_path, pool):
    # an unquoted field with one '"' inside is literal to csv, but flips the quote parity: every
    # later cut lands inside what the parity calls a quoted field (no cut) or is verified wrong
    lines = ["air_date,program,viewers"] + [f'2024-01-{1 + i % 28:02d},"Show {i}",{i}' for i in range(400)]
    lines[5] = '2024-01-05,Sh"ow,5'
    lines[200] = '2024-01-06,"Odd\n,one""",6'
    data = ("\n".join(lines) + "\n").encode()
    want = single(data, LONG_MAP)
    assert want is not None
    got = parallel(data, LONG_MAP, tmp_path, pool(), segment=64)
    assert got is None or got[:3] == want
    result, used = handler_fast(data, LONG_MAP, segment=64)
    assert result == want and used in ("fast", "fast-parallel")


def test_the_sentinel_catches_a_cut_inside_a_quoted_field(tmp_path, pool):
    # Hand the parallel parser a cut that is inside a quoted field: it must refuse, not mis-parse.
    data = b'air_date,program,viewers\n2024-01-05,"A\nB",5\n2024-01-06,C,6\n'
    spool = Spool(tmp_path, 1 << 30)
    spool.write(data)
    spool.close()
    spool.cuts = [data.index(b"B")]  # right after the newline inside "A\nB"
    procs = pool()
    with pytest.raises(FastPathAbandoned):
        parallel_long_import(spool, LONG_MAP, procs, today=TODAY, parent_share=False)
    assert not helpers_idle(procs)


def test_handler_uses_the_parallel_path_for_big_uploads_and_agrees(tmp_path):
    data = generated(11, rows=2000, crlf=True, bom=True)
    result, used = handler_fast(data, LONG_MAP, segment=700)
    assert used == "fast-parallel"
    assert result == single(data, LONG_MAP)
    # a file the fast path refuses is refused by the parallel attempt and its fallback alike
    bad = (SYNTHETIC / "bad_rows.csv").read_bytes() * 3
    assert handler_fast(bad, LONG_MAP, segment=100) == (None, None)


# --------------------------------------------------------------------------- end to end


def parser_view(data: bytes, mapping: ColumnMapping):
    stats = ParseStats()
    totals: dict = {}
    errors = []
    for item in iter_broadcast_rows([data], mapping, today=TODAY, stats=stats):
        if isinstance(item, BroadcastRow):
            t = totals.setdefault(item.air_date, [0, {}])
            t[0] += item.viewers
            t[1][item.program or ""] = t[1].get(item.program or "", 0) + item.viewers
        else:
            errors.append((max(item.line, 1), item.column, item.value, item.reason))
    return totals, errors, stats.as_dict()


@pytest.fixture
def tiny_segments(monkeypatch):
    monkeypatch.setattr(BroadcastHandler, "parallel_min_bytes", 0)
    monkeypatch.setattr(BroadcastHandler, "segment_bytes", 2048)
    monkeypatch.setattr(BroadcastHandler, "helpers", 1)
    monkeypatch.setattr(BroadcastHandler, "parent_share", False)


def test_worker_end_to_end_parallel_equals_the_parser(conn, db_url, tmp_path, factory, tiny_segments):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, "On Air")
    storage = LocalStorage(tmp_path / "storage")
    data = generated(21, rows=1500, crlf=True, bom=True)
    path = upload(conn, storage, owner, rel, "big.csv", data)
    import_id = request_import(conn, owner, vid, path)
    run(db_url, tmp_path, storage, broadcast_max_error_ratio=0.95)

    j = job(conn, import_id)
    assert j["status"] == "partially_failed", j["error_message"]
    assert j["metadata"]["parse_path"] == "fast-parallel"
    detail = j["metadata"]["parse_detail"]
    assert detail["by_helpers"] == detail["segments"] - 1 > 2  # the helper did all but the header's segment
    totals, errors, stats = parser_view(data, LONG_MAP)
    assert j["metadata"]["stats"] == stats
    assert j["metadata"]["row_errors"] == len(errors)
    rows = metric_rows(conn, vid)
    assert {r["collected_at"]: (r["views_total"], r["detail"]["programs"]) for r in rows} == {
        datetime(d.year, d.month, d.day, tzinfo=UTC): (t[0], dict(sorted(t[1].items()))) for d, t in totals.items()}
    stored = conn.execute(
        "select line, column_name, raw_value, reason from public.music_video_import_row_errors"
        " where import_id = %s order by line, id", (import_id,)).fetchall()
    assert [(r["line"], r["column_name"], r["raw_value"], r["reason"]) for r in stored] == errors
    assert import_errors(conn, owner, import_id)["total"] == len(errors)


def test_worker_end_to_end_over_the_error_ratio_fails_whole(conn, db_url, tmp_path, factory, tiny_segments):
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, "On Air")
    storage = LocalStorage(tmp_path / "storage")
    data = generated(22, rows=800)
    path = upload(conn, storage, owner, rel, "bad.csv", data)
    import_id = request_import(conn, owner, vid, path)
    run(db_url, tmp_path, storage, broadcast_max_error_ratio=0.05)
    j = job(conn, import_id)
    _totals, errors, stats = parser_view(data, LONG_MAP)
    assert j["status"] == "failed" and j["metadata"]["parse_path"] == "fast-parallel"
    assert j["error_message"].startswith(f"{stats['rows_failed']} of {stats['rows_seen']} rows failed")
    assert metric_rows(conn, vid) == []
    assert import_errors(conn, owner, import_id)["total"] == len(errors)


@pytest.mark.parametrize("odd", ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_line_breaks_other_than_newline_split_like_the_parser(tmp_path, pool, odd):
    # str.splitlines() would break on these; the parser (and so both fast paths) only on "\n"
    lines = ["air_date,program,viewers"] + [f"2024-01-{1 + i % 9:02d},Show{odd}{i % 3},{i}" for i in range(60)]
    lines[7] = f'2024-01-02,"Quoted{odd}\nand more",7'
    data = ("\n".join(lines) + "\n").encode()
    totals, errors, stats = parser_view(data, LONG_MAP)
    want = single(data, LONG_MAP)
    if want is None:  # e.g. csv refuses a bare "\r" inside an unquoted field: the parser's job
        assert parallel(data, LONG_MAP, tmp_path, pool(), segment=100) is None
        return
    assert {d: t[0] for d, t in want[0].items()} == {d: t[0] for d, t in totals.items()}
    assert [(e["line"], e["column"], e["value"], e["reason"]) for e in want[1]] == errors
    assert want[2] == stats
    got = parallel(data, LONG_MAP, tmp_path, pool(), segment=100)
    assert got is not None and got[:3] == want


def test_without_helpers_the_parent_parses_every_segment(tmp_path):
    data = generated(31, rows=900, crlf=True)
    got = parallel(data, LONG_MAP, tmp_path, [], segment=300, parent_share=True)
    assert got is not None and got[:3] == single(data, LONG_MAP) and got[3] > 5


def test_a_dead_helper_loses_nothing(tmp_path, pool):
    # a helper that died before its job: its share is done by the others (here: the parent)
    procs = pool()
    assert wait_ready(procs)
    procs[0].kill()
    procs[0].wait()
    data = generated(32, rows=900)
    spool = Spool(tmp_path, 200)
    spool.write(data)
    spool.close()
    result = parallel_long_import(spool, LONG_MAP, procs, today=TODAY)
    assert result.by_helpers == 0 and result.segments > 5
    stats, sink = ParseStats(), Collect()
    assert (result.apply(stats, sink.add), sink.errors, stats.as_dict()) == single(data, LONG_MAP)
