"""Broadcast CSV imports end to end (spec 3.3): upload -> import_broadcast_metrics (as the owner)
-> the real worker runtime -> one metric row per air date + the row-errors table; rollback.

Storage is a LocalStorage in a tmp dir; the owner's ``storage.objects`` row is inserted as the
owner through PostgREST's role switch, which proves the storage policy lets them upload there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import psycopg
import pytest

from tests.helpers.broadcast import (
    LONG,
    SYNTHETIC,
    expected_totals,
    import_errors,
    import_errors_total,
    job,
    metric_rows,
    request_import,
    run,
    upload,
)
from tests.helpers.plan_rpc import RpcError, to_rpc_error
from tests.helpers.reads import next_page, read
from workers.db import call_rpc, jwt_claims, postgrest_request
from workers.sources.broadcast import ColumnMapping
from workers.sources.broadcast.job import BROADCAST_BUCKET

# --------------------------------------------------------------------------- tests


def test_upload_request_worker_metrics_and_row_errors(conn, db_url, tmp_path, owned):
    owner, stranger, _admin, rel, vid, storage = owned
    data = (SYNTHETIC / "bad_rows.csv").read_bytes()
    path = upload(conn, storage, owner, rel, "week-24/bad_rows.csv", data)
    import_id = request_import(conn, owner, vid, path)
    j = job(conn, import_id)
    assert (j["status"], j["source"], j["platform"], j["triggered_by"]) == ("pending", "broadcast", "mtv", owner.id)
    assert j["metadata"]["mapping"] == LONG and j["metadata"]["path"] == path

    run(db_url, tmp_path, storage, broadcast_max_error_ratio=0.9)

    j = job(conn, import_id)
    assert j["status"] == "partially_failed"
    assert j["error_message"] == "11 of 13 rows failed (84.6%); the other rows were imported"
    assert j["metadata"]["row_errors"] == 11 and j["metadata"]["stats"]["rows_ok"] == 2
    rows = metric_rows(conn, vid)
    assert [(r["platform"], r["collected_at"], r["views_total"]) for r in rows] == [
        ("mtv", datetime(2002, 6, 11, tzinfo=UTC), 1000), ("mtv", datetime(2002, 6, 18, tzinfo=UTC), 2000)]
    # CSV content is data: the formula-looking programme name is stored verbatim
    assert rows[1]["detail"]["programs"] == {'=HYPERLINK("http://evil.example","x")': 2000}
    assert rows[0]["source"] == f"broadcast:{path}" and str(rows[0]["import_batch_id"]) == str(import_id)

    page = import_errors(conn, owner, import_id)
    assert {e["total"] for e in page} == {11} and next_page(page, "next_after_line") is None
    got = {(e["line"], e["column_name"]): (e["raw_value"], e["reason"]) for e in page}
    assert got[(3, "air_date")] == ("2002-02-30", "invalid date (day is out of range for month)")
    assert got[(9, "viewers")] == ("N/A", "missing value")
    assert got[(11, None)][1] == "row has 2 fields, header has 3"
    assert got[(14, None)][1] == "malformed CSV: a quoted value is not closed (unterminated quote)"
    assert "invalid UTF-8" in got[(12, None)][1]
    assert [e["line"] for e in page] == sorted(e["line"] for e in page)

    # keyset pages of 4: every error exactly once, in line order
    seen, after = [], None
    while True:
        p = import_errors(conn, owner, import_id, after, 4)
        seen += [(e["line"], e["column_name"]) for e in p]
        if next_page(p, "next_after_line") is None:
            break
        after = next_page(p, "next_after_line")
    assert seen == [(e["line"], e["column_name"]) for e in page]

    with pytest.raises(RpcError) as exc:
        import_errors(conn, stranger, import_id)
    assert (exc.value.sqlstate, exc.value.message) == ("PT404", "Import not found")
    with postgrest_request(conn, stranger.claims()) as c:
        assert c.execute("select count(*) as n from public.music_video_import_row_errors").fetchone()["n"] == 0


def test_over_the_error_ratio_the_import_fails_whole_but_reports_rows(conn, db_url, tmp_path, owned):
    owner, _s, _a, rel, vid, storage = owned
    path = upload(conn, storage, owner, rel, "bad_rows.csv", (SYNTHETIC / "bad_rows.csv").read_bytes())
    import_id = request_import(conn, owner, vid, path, platform="regional_tv")
    run(db_url, tmp_path, storage)  # default max ratio 0.5
    j = job(conn, import_id)
    assert j["status"] == "failed"
    assert j["error_message"] == ("11 of 13 rows failed (84.6%), over the allowed 50.0%; nothing was stored "
                                  "(see the row errors)")
    assert metric_rows(conn, vid) == []
    assert import_errors_total(conn, owner, import_id) == 11


SYNTHETIC_CASES = [
    ("bom_crlf.csv", LONG),
    ("comma_thousands_quoted_multiline.csv", LONG),
    ("semicolon_dot_thousands_day_first.csv",
     {"air_date": "Sendedatum", "program": "Sendung", "viewers": "Zuschauer", "day_first": True}),
    ("tab_space_thousands.tsv", {"air_date": "Date", "program": "Show", "viewers": "Audience"}),
    ("millions_us_dates.csv",
     {"air_date": "airdate", "program": "episode", "viewers": "viewers_in_millions", "viewers_scale": 1000000}),
    ("wide_semicolon.csv", {"air_date": "Datum", "viewers": "*", "layout": "wide"}),
]


@pytest.mark.parametrize(("name", "mapping"), SYNTHETIC_CASES, ids=[c[0] for c in SYNTHETIC_CASES])
def test_every_synthetic_variant_aggregates_per_air_date(conn, db_url, tmp_path, owned, name, mapping):
    owner, _s, _a, rel, vid, storage = owned
    data = (SYNTHETIC / name).read_bytes()
    path = upload(conn, storage, owner, rel, name.replace(".tsv", ".tsv"), data,
                  "text/tab-separated-values" if name.endswith(".tsv") else "text/csv")
    import_id = request_import(conn, owner, vid, path, mapping)
    run(db_url, tmp_path, storage)
    j = job(conn, import_id)
    assert j["status"] in ("succeeded", "partially_failed"), j["error_message"]
    want = expected_totals(data, ColumnMapping(**mapping))
    assert want, "the fixture has good rows"
    got = {r["collected_at"].date(): r["views_total"] for r in metric_rows(conn, vid)}
    assert got == want
    for r in metric_rows(conn, vid):
        assert sum(r["detail"]["programs"].values()) == r["views_total"]
    assert (j["status"] == "partially_failed") == (import_errors_total(conn, owner, import_id) > 0)


def test_real_tv_fixtures_import(conn, db_url, tmp_path, owned, shared_fixtures):
    owner, _s, _a, rel, vid, storage = owned
    name = "nz_news_current_affairs_daily_viewers_excerpt.csv"
    data = (shared_fixtures / "tv_ratings" / name).read_bytes()
    mapping = {"air_date": "Date", "viewers": "*", "layout": "wide"}
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, name, data), mapping)
    run(db_url, tmp_path, storage)
    assert job(conn, import_id)["status"] == "succeeded"
    got = {r["collected_at"].date(): r for r in metric_rows(conn, vid)}
    assert {d: r["views_total"] for d, r in got.items()} == expected_totals(data, ColumnMapping(**mapping))
    quake = got[date(2011, 2, 22)]["detail"]["programs"]  # the Christchurch spike is kept
    assert 1915300 in quake.values() or 1577460 in quake.values()


def test_import_request_validation(conn, owned, factory):
    owner, stranger, admin, rel, vid, storage = owned
    path = upload(conn, storage, owner, rel, "ok.csv", b"air_date,program,viewers\n2024-01-01,A,1\n")
    other_rel = factory.release(stranger)
    cases = [
        (stranger, vid, "mtv", path, LONG, "PT404", "Music video not found", None),
        (owner, vid, "youtube", path, LONG, "22023", "Invalid broadcast import request",
         ("platform", "invalid_choice")),
        (owner, vid, "mtv", path, {"air_date": "d", "viewers": "v", "colour": "x"}, "22023",
         "Invalid broadcast import request", ("mapping.colour", "unknown_field")),
        (owner, vid, "mtv", path, {"program": "p", "viewers": "v"}, "22023", "Invalid broadcast import request",
         ("mapping.air_date", "required")),
        (owner, vid, "mtv", path, {**LONG, "viewers_scale": 0}, "22023", "Invalid broadcast import request",
         ("mapping.viewers_scale", "not_positive")),
        (owner, vid, "mtv", path, [], "22023", "Invalid broadcast import request", ("mapping", "invalid_type")),
        (owner, vid, "mtv", f"{other_rel}/ok.csv", LONG, "22023", "Invalid broadcast import request",
         ("object_path", "outside_release_folder")),
        (owner, vid, "mtv", f"{rel}/../{other_rel}/ok.csv", LONG, "22023", "Invalid broadcast import request",
         ("object_path", "invalid_format")),
        (owner, vid, "mtv", f"{rel}/data.exe", LONG, "22023", "Invalid broadcast import request",
         ("object_path", "invalid_extension")),
        (owner, vid, "mtv", "", LONG, "22023", "Invalid broadcast import request", ("object_path", "required")),
        (owner, vid, "mtv", f"{rel}/missing.csv", LONG, "PT404", "Uploaded file not found",
         ("object_path", "not_found")),
    ]
    for user, v, platform, p, mapping, code, message, problem in cases:
        with pytest.raises(psycopg.Error) as exc:
            request_import(conn, user, v, p, mapping, platform)
        err = to_rpc_error(exc.value)
        assert (err.sqlstate, err.message) == (code, message), (platform, p, mapping)
        if problem:  # the one error shape: {"problems": [{field, code, message}]}
            assert err.codes() == [problem], (platform, p, mapping)
            assert all(pr["message"] for pr in err.problems)
    # every finding at once, in one 22023
    with pytest.raises(psycopg.Error) as exc:
        request_import(conn, owner, vid, "", {}, "vevo")
    err = to_rpc_error(exc.value)
    assert set(err.codes()) == {("platform", "invalid_choice"), ("mapping.air_date", "required"),
                                ("mapping.viewers", "required"), ("object_path", "required")}
    # the platform is the enum: a value outside it is PostgREST's cast error, before the function
    with pytest.raises(psycopg.Error) as exc:
        request_import(conn, owner, vid, path, LONG, "fax")
    assert exc.value.sqlstate == "22P02"
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, jwt_claims(role="anon")) as c:
        call_rpc(c, "import_broadcast_metrics", {"music_video_id": vid, "platform": "mtv",
                                                 "object_path": path, "mapping": LONG})
    assert exc.value.sqlstate == "42501"
    # a stranger cannot even write into the owner's release folder (the storage policy)
    with pytest.raises(psycopg.Error), postgrest_request(conn, stranger.claims()) as c:
        c.execute("insert into storage.objects (bucket_id, name) values (%s, %s)", (BROADCAST_BUCKET, f"{rel}/x.csv"))
    # an admin may import for any video
    assert request_import(conn, admin, vid, path)


def test_a_bad_mapping_or_a_vanished_file_fails_the_job(conn, db_url, tmp_path, owned):
    owner, _s, _a, rel, vid, storage = owned
    path = upload(conn, storage, owner, rel, "h.csv", b"Date,Show,Audience\n2024-01-01,A,1\n")
    first = request_import(conn, owner, vid, path)
    gone = request_import(conn, owner, vid, path)
    (tmp_path / "storage" / BROADCAST_BUCKET / path).unlink()
    storage.put(BROADCAST_BUCKET, path + ".keep", b"", "text/csv")
    run(db_url, tmp_path, storage)
    for i in (first, gone):
        j = job(conn, i)
        assert j["status"] == "failed"
        assert "uploaded file not found" in j["error_message"]
    path2 = upload(conn, storage, owner, rel, "h2.csv", b"Date,Show,Audience\n2024-01-01,A,1\n")
    bad = request_import(conn, owner, vid, path2)
    run(db_url, tmp_path, storage)
    j = job(conn, bad)
    assert j["status"] == "failed"
    assert "missing column 'air_date'" in j["error_message"]
    assert import_errors(conn, owner, bad)[0]["line"] == 1


def test_a_real_tv_import_is_a_daily_audience_not_a_falling_count(conn, db_url, tmp_path, owned, shared_fixtures):
    """TV samples are one air date's viewers (20261202020200, private.platform_views_are_cumulative):
    the real NZ daily-viewers file, imported by the worker, rises and falls day to day; none of
    its rows is flagged, the card counts the audience to date (the sum), the trends' deltas are
    the days' audiences, while a YouTube count that goes down is still views_decreased."""
    owner, stranger, _admin, rel, vid, storage = owned
    name = "nz_news_current_affairs_daily_viewers_excerpt.csv"
    data = (shared_fixtures / "tv_ratings" / name).read_bytes()
    mapping = {"air_date": "Date", "viewers": "*", "layout": "wide"}
    import_id = request_import(conn, owner, vid, upload(conn, storage, owner, rel, name, data), mapping)
    run(db_url, tmp_path, storage)
    assert job(conn, import_id)["status"] == "succeeded"

    totals = [t for _, t in sorted(expected_totals(data, ColumnMapping(**mapping)).items())]
    drops = sum(1 for a, b in pairwise(totals) if b < a)
    assert drops >= 5, "the real file has days with fewer viewers than the day before"
    flags = conn.execute("select collected_at, flags from public.music_video_metrics where music_video_id = %s"
                         " and platform = 'mtv' order by collected_at", (vid,)).fetchall()
    assert len(flags) == len(totals) and [f["flags"] for f in flags] == [[]] * len(totals)

    # as PostgREST serves the owner: the history shows no flag, the card and the KPI the sum
    history = read(conn, owner.claims(), "music_video_metrics_history", id=str(vid), page_size=200)
    assert sorted(h["views_total"] for h in history) == sorted(totals)
    assert all(h["flags"] == [] for h in history)
    (card,) = read(conn, owner.claims(), "list_music_videos", release_id=str(rel))
    assert (card["views_total"], card["views_by_platform"]) == (sum(totals), {"mtv": sum(totals)})
    (trend,) = read(conn, owner.claims(), "music_video_trends", id=str(vid), platforms=["mtv"], days=1095)
    assert trend["kpi_views_total"] == sum(totals) and trend["flagged_days"] == 0

    # a YouTube count going down is still odd
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source, views_total)"
                 " values (%s, 'youtube', '2011-03-01', 'youtube', 1000),"
                 " (%s, 'youtube', '2011-03-02', 'youtube', 900)",
                 (vid, vid))
    yt = read(conn, owner.claims(), "music_video_metrics_history", id=str(vid), platforms=["youtube"])
    assert [(h["views_total"], h["flags"]) for h in sorted(yt, key=lambda h: h["collected_at"])] == [
        (1000, []), (900, ["views_decreased"])]
    (card,) = read(conn, owner.claims(), "list_music_videos", release_id=str(rel))
    assert card["views_by_platform"] == {"mtv": sum(totals), "youtube": 900}
    # another user sees none of it
    with pytest.raises(RpcError) as err:
        read(conn, stranger.claims(), "music_video_metrics_history", id=str(vid))
    assert err.value.sqlstate == "PT404"
