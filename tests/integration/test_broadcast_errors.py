"""Row errors at scale (batched writes, a re-run replaces them), hostile shapes, bounded ``detail``,
and the CSV export with formula cells neutralised."""

from __future__ import annotations

import csv
import io
import json

from tests.helpers.broadcast import (
    import_errors_total,
    job,
    metric_rows,
    request_import,
    run,
    upload,
)
from tests.helpers.csv_inert import cells, live_formulas
from tests.helpers.reads import panel, read
from workers.db import postgrest_request
from workers.reports.import_errors import HEADER, export_import_errors


def test_more_errors_than_a_batch_each_stored_once_and_a_rerun_replaces_them(conn, db_url, tmp_path, owned):
    owner, _s, _a, rel, vid, storage = owned
    lines = ["air_date,program,viewers"]
    lines += [f"2024-01-{1 + i % 28:02d},Show {i % 3},{i}" for i in range(20_000)]
    lines += [f"2024-02-{1 + i % 28:02d},Show,N/A" for i in range(7_000)]  # > one error batch
    data = ("\n".join(lines) + "\n").encode() + b"2024-03-01,Bad \xff byte,5\n"  # invalid UTF-8 at the end
    path = upload(conn, storage, owner, rel, "big.csv", data)
    import_id = request_import(conn, owner, vid, path)
    run(db_url, tmp_path, storage)
    j = job(conn, import_id)
    assert j["status"] == "partially_failed" and j["metadata"]["engine"] == "duckdb"
    count = ("select count(*) as n, count(distinct line) as d, max(line) as last"
             " from public.music_video_import_row_errors where import_id = %s")
    n = conn.execute(count, (import_id,)).fetchone()
    assert (n["n"], n["d"], n["last"]) == (7_001, 7_001, 27_002)
    assert import_errors_total(conn, owner, import_id) == 7_001
    assert sum(r["views_total"] for r in metric_rows(conn, vid)) == sum(range(20_000))
    # the same job run again (a retry) replaces its errors, it does not add to them
    conn.execute("update public.music_video_metric_imports set status = 'pending' where id = %s", (import_id,))
    run(db_url, tmp_path, storage)
    assert conn.execute(count, (import_id,)).fetchone()["n"] == 7_001



def test_a_rerun_without_errors_still_clears_the_earlier_attempts_errors(conn, db_url, tmp_path, owned):
    """The earlier attempt's errors are deleted with the first batch, or alone when there is no error."""
    owner, _s, _a, rel, vid, storage = owned
    bad = b"air_date,program,viewers\n2024-01-01,A,1\n2024-01-02,B,N/A\n"
    path = upload(conn, storage, owner, rel, "fixed.csv", bad)
    import_id = request_import(conn, owner, vid, path)
    run(db_url, tmp_path, storage, broadcast_max_error_ratio=1.0)
    count = "select count(*) as n from public.music_video_import_row_errors where import_id = %s"
    assert conn.execute(count, (import_id,)).fetchone()["n"] == 1
    storage.put("music-video-broadcast-imports", path, b"air_date,program,viewers\n2024-01-01,A,1\n", "text/csv")
    conn.execute("update public.music_video_metric_imports set status = 'pending' where id = %s", (import_id,))
    run(db_url, tmp_path, storage)
    assert job(conn, import_id)["status"] == "succeeded"
    assert conn.execute(count, (import_id,)).fetchone()["n"] == 0

def test_a_clean_file_gives_one_metric_row_per_day(conn, db_url, tmp_path, owned):
    owner, _s, _a, rel, vid, storage = owned
    data = b"air_date,program,viewers\n2024-01-01,A,\"1,000\"\n2024-01-01,B,250\n2024-01-02,A,7\n"
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, "ok.csv", data))
    run(db_url, tmp_path, storage)
    j = job(conn, import_id)
    assert (j["status"], j["metadata"]["engine"]) == ("succeeded", "duckdb")
    assert [(r["collected_at"].date().isoformat(), r["views_total"], r["detail"]["programs"], r["detail"]["airings"])
            for r in metric_rows(conn, vid)] == [("2024-01-01", 1250, {"A": 1000, "B": 250}, 2),
                                                 ("2024-01-02", 7, {"A": 7}, 1)]


def test_csv_export_neutralises_formula_cells(conn, db_url, tmp_path, owned):
    owner, stranger, _a, rel, vid, storage = owned
    data = (b"air_date,program,viewers\n"
            b"=HYPERLINK(\"http://evil.example\"),A,1\n"
            b"2024-01-01,B,+1+2\n"
            b"@SUM(A1),C,-3\n"
            b"2024-01-02,D,5\n")
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, "inj.csv", data))
    run(db_url, tmp_path, storage, broadcast_max_error_ratio=1.0)
    out = io.StringIO(newline="")
    assert export_import_errors(conn, import_id, out) == 4
    got = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(got[0]) == HEADER
    values = [r[2] for r in got[1:]]
    assert values == ["'=HYPERLINK(\"http://evil.example\")", "'+1+2", "'@SUM(A1)", "'-3"]
    assert [int(r[0]) for r in got[1:]] == [2, 3, 4, 4]
    # stored as data: the table keeps the raw text unchanged
    raw = [r["raw_value"] for r in conn.execute(
        "select raw_value from public.music_video_import_row_errors where import_id = %s order by line, id",
        (import_id,)).fetchall()]
    assert raw[0] == "=HYPERLINK(\"http://evil.example\")"
    # acting as another user, the export sees nothing (RLS)
    with postgrest_request(conn, stranger.claims()) as c:
        out2 = io.StringIO(newline="")
        assert export_import_errors(c, import_id, out2) == 0


def test_csv_export_neutralises_formulas_after_separators_and_line_breaks(conn, db_url, tmp_path, owned):
    owner, _s, _a, rel, vid, storage = owned
    data = (b"air_date,program,viewers\n"
            b"2024-01-01,A,\"x;=cmd|' /C calc'!A0\"\n"
            b"2024-01-01,B,\"x\t@SUM(A1)\"\n"
            b"2024-01-01,C,\"x\n+1+2\"\n"
            b"2024-01-01,D,\"x|\xef\xbc\x9dcmd\"\n"  # full-width equals sign
            b"2024-01-02,E,5\n")
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, "sep.csv", data))
    run(db_url, tmp_path, storage, broadcast_max_error_ratio=1.0)
    out = io.StringIO(newline="")
    assert export_import_errors(conn, import_id, out) == 4
    text = out.getvalue()
    assert live_formulas(text) == []  # read with ',' ';' TAB or '|': no cell starts a formula
    assert [r[2] for r in cells(text, ",")[1:]] == [
        "x;'=cmd|' /C calc'!A0", "x\t'@SUM(A1)", "x\n'+1+2", "x|'\uff1dcmd"]


def test_nul_bytes_are_stored_as_row_errors_not_a_failed_store(conn, db_url, tmp_path, owned):
    owner, _s, _a, rel, vid, storage = owned
    data = (b"air_date,program,viewers\n2024-01-01,Good,10\n2024-01-01,Bad\x00Name,2\n2024-01-02,C,3\x004\n"
            + b"".join(b"2024-01-03,P%d,1\n" % i for i in range(10)))
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, "nul.csv", data))
    run(db_url, tmp_path, storage)
    j = job(conn, import_id)
    assert j["status"] == "partially_failed" and j["attempts"] == 1, j["error_message"]
    stored = conn.execute("select line, column_name, raw_value, reason from public.music_video_import_row_errors"
                          " where import_id = %s order by line", (import_id,)).fetchall()
    assert [(r["line"], r["column_name"], r["raw_value"]) for r in stored] == [
        (3, "program", "Bad\\x00Name"), (4, "viewers", "3\\x004")]
    assert {r["reason"] for r in stored} == {"the value contains a NUL byte"}
    rows = metric_rows(conn, vid)
    assert [(r["collected_at"].day, r["views_total"]) for r in rows] == [(1, 10), (3, 10)]


def test_reads_stay_bounded_after_a_day_with_50000_programmes(conn, db_url, tmp_path, owned):
    """A hostile upload: one date, 50,000 distinct programme names (the old detail listed them
    all). Through the real worker; then the owner's reads answer under an 8 s statement timeout
    and the stored detail is bounded."""
    owner, _s, _a, rel, vid, storage = owned
    lines = ["air_date,program,viewers"] + [f"2024-01-01,Programme number {i:05d} {'x' * 40},{i}"
                                            for i in range(50_000)]
    data = ("\n".join(lines) + "\n").encode()
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, "many.csv", data))
    run(db_url, tmp_path, storage)
    assert job(conn, import_id)["status"] == "succeeded"
    (row,) = metric_rows(conn, vid)
    assert row["views_total"] == sum(range(50_000))
    assert len(row["detail"]["programs"]) <= 51  # the top programmes and the rest summed
    assert len(json.dumps(row["detail"])) < 20_000
    conn.execute("set statement_timeout = '8s'")
    history = read(conn, owner.claims(), "music_video_metrics_history", id=str(vid))
    doc = panel(conn, owner.claims(), vid)
    conn.execute("reset statement_timeout")
    assert len(json.dumps(history)) < 200_000 and len(json.dumps(doc)) < 200_000
    assert json.dumps(history).count("Programme number") <= 51
    assert doc is not None
