"""Charts jobs end to end: backfill request -> real worker runtime -> metrics -> chart history.

The chart feeds are 52 weekly Hot 100 files generated from the real fixture (dates shifted back
week by week, ranks rotated; see ``make_hot100_weeks``), served from local files through
``settings.chart_locations`` or from pytest-httpserver on loopback. The database is real.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.helpers.charts import (
    AS_OF,
    LATEST,
    WEEKS,
    chart_history,
    chart_rows,
    hot100_fixture,
    job,
    make_hot100_weeks,
    request_backfill,
    write_weeks,
)
from tests.helpers.plan_rpc import RpcError, to_rpc_error
from tests.helpers.worker import run_worker, settings_for
from workers.db import call_as_postgrest, jwt_claims, postgrest_request
from workers.storage import LocalStorage

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def real_hot100(shared_fixtures):
    return hot100_fixture(shared_fixtures)


@pytest.fixture
def tracked(conn, factory, real_hot100):
    """Two videos of one owner: the #3 song (title + artist only) and the #5 song, plus a stranger."""
    owner, stranger = factory.user(), factory.user()
    rel = factory.release(owner)
    rows = real_hot100["data"]
    a = factory.video(rel, rows[2]["song"], artist_name=rows[2]["artist"])
    b = factory.video(rel, f"{rows[4]['song']} (Official Music Video)", artist_name=rows[4]["artist"])
    return owner, stranger, a, b, rows


# --------------------------------------------------------------------------- tests


def test_backfill_52_weeks_from_local_files_stores_week_starts_and_shares_fetches(
        conn, db_url, tmp_path, tracked, real_hot100):
    owner, _stranger, a, b, rows = tracked
    gap = {10, 11, 12}  # song A is off the chart for three weeks
    docs = make_hot100_weeks(real_hot100, absent={rows[2]["song"]: gap})
    location = write_weeks(tmp_path / "hot100", docs)
    ids = [request_backfill(conn, owner, v, WEEKS)["import_id"] for v in (a, b)]
    assert len(set(ids)) == 2

    settings = settings_for(tmp_path, chart_locations={"billboard_hot_100": location})
    storage = LocalStorage(tmp_path / "storage")
    run_worker(db_url, settings, storage)

    for i in ids:
        j = job(conn, i)
        assert j["status"] == "succeeded", j["error_message"]
        assert j["metadata"]["feeds"] == {"requested": WEEKS, "ok": WEEKS, "refused": 0}
        assert j["metadata"]["backfill_weeks"] == WEEKS
    # one raw payload per (chart, week): the two videos shared every fetch
    assert len(storage.list("music-video-raw-payloads", "charts/")) == WEEKS

    got_a = chart_rows(conn, a)
    assert len(got_a) == WEEKS - len(gap)
    for r in got_a:
        monday = r["collected_at"].astimezone(UTC)
        assert (monday.weekday(), monday.hour, monday.minute) == (0, 0, 0)
        k = (LATEST - (monday.date() + timedelta(days=5))).days // 7
        assert r["chart_position"] == (2 + k) % len(rows) + 1  # the generator's rotation
        assert r["source"] == "billboard_hot_100"
        assert r["detail"]["matched_by"] == "title_artist"
        assert r["detail"]["chart_date"] == (monday.date() + timedelta(days=5)).isoformat()
        assert str(r["import_batch_id"]) == str(ids[0])
    assert len(chart_rows(conn, b)) == WEEKS  # "(Official Music Video)" noise is ignored by matching


def test_chart_history_derives_peak_weeks_and_reentry_with_gap_weeks(conn, db_url, tmp_path, tracked, real_hot100):
    owner, stranger, a, _b, rows = tracked
    gap = {3, 4}
    docs = make_hot100_weeks(real_hot100, 12, absent={rows[2]["song"]: gap})
    location = write_weeks(tmp_path / "hot100", docs)
    request_backfill(conn, owner, a, 12)
    run_worker(db_url, settings_for(tmp_path, chart_locations={"billboard_hot_100": location}),
               LocalStorage(tmp_path / "s"))

    h = chart_history(conn, owner, a)
    stored = {r["collected_at"].date(): r["chart_position"] for r in chart_rows(conn, a)}
    assert h["weeks_on_chart"] == len(stored) == 10
    assert h["peak_position"] == min(stored.values())
    assert h["weeks_off_chart"] == 2
    assert len(h["weeks"]) == 12
    off = [w["week_start"] for w in h["weeks"] if not w["on_chart"]]
    assert off == [(LATEST - timedelta(weeks=k, days=5)).isoformat() for k in sorted(gap)]
    assert h["entry_kind"] == "re_entry"  # the latest run started after the gap
    kinds = {w["week_start"]: w["entry_kind"] for w in h["weeks"]}
    assert kinds[(LATEST - timedelta(weeks=2, days=5)).isoformat()] == "re_entry"
    assert kinds[(LATEST - timedelta(weeks=11, days=5)).isoformat()] == "new"
    assert h["current_position"] == stored[max(stored)]
    # the feed's own "peak_position: 1" is never trusted
    assert h["peak_position"] != 1 or 1 in stored.values()

    with pytest.raises(RpcError) as exc:
        chart_history(conn, stranger, a)
    assert exc.value.sqlstate == "PT404"
    with pytest.raises(RpcError) as exc:
        chart_history(conn, owner, a, "no_such_chart")
    assert exc.value.sqlstate == "22023"
    assert exc.value.codes() == [("chart", "unknown_chart")]


def test_backfill_over_http_fetches_each_week_once_for_many_videos(conn, db_url, tmp_path, factory, real_hot100,
                                                                      httpserver):
    docs = make_hot100_weeks(real_hot100, 8)
    for day, doc in docs.items():
        httpserver.expect_request(f"/hot100/{day.isoformat()}.json").respond_with_json(doc)
    owner = factory.user()
    rel = factory.release(owner)
    vids = [factory.video(rel, r["song"], artist_name=r["artist"]) for r in real_hot100["data"][:12]]
    for v in vids:
        request_backfill(conn, owner, v, 8)
    settings = settings_for(tmp_path, chart_locations={
        "billboard_hot_100": httpserver.url_for("/hot100/") + "{date}.json"})
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"))
    assert len(httpserver.log) == 8  # 12 videos, 8 weeks: one request per week
    n = conn.execute("select count(*) as n from public.music_video_metrics where music_video_id = any(%s)",
                     (vids,)).fetchone()["n"]
    assert n == 12 * 8


def test_best_rank_wins_across_charts_and_conflicts_are_logged(conn, db_url, tmp_path, tracked, real_hot100):
    owner, _s, a, b, _rows = tracked
    docs = make_hot100_weeks(real_hot100, 2)
    location = write_weeks(tmp_path / "hot100", docs)
    week0 = datetime(2026, 8, 3, tzinfo=UTC)  # Monday of the 2026-08-08 chart
    week1 = week0 - timedelta(weeks=1)
    # A (Hot 100 rank 3 in week 0, 4 in week 1): Spotify already stored #1 in week 0 and #20 in week 1
    conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source,"
                 " chart_position) values (%s, 'other', %s, 'spotify_global_weekly', 1),"
                 " (%s, 'other', %s, 'spotify_global_weekly', 20)", (a, week0, a, week1))
    ids = [request_backfill(conn, owner, v, 2)["import_id"] for v in (a, b)]
    run_worker(db_url, settings_for(tmp_path, chart_locations={"billboard_hot_100": location}),
               LocalStorage(tmp_path / "s"))

    got = {r["collected_at"]: (r["source"], r["chart_position"]) for r in chart_rows(conn, a)}
    assert got[week0] == ("spotify_global_weekly", 1)  # better stored rank kept
    assert got[week1] == ("billboard_hot_100", 4)  # worse stored rank replaced
    meta = job(conn, ids[0])["metadata"]
    assert meta["conflict_count"] == 2
    kinds = {(c["week_start"], c["kept"]["chart"], c["dropped"]["chart"]) for c in meta["conflicts"]}
    assert kinds == {("2026-08-03", "spotify_global_weekly", "billboard_hot_100"),
                     ("2026-07-27", "billboard_hot_100", "spotify_global_weekly")}
    assert job(conn, ids[0])["status"] == "succeeded"


def test_same_week_from_two_feeds_keeps_the_best_rank(conn, db_url, tmp_path, factory, shared_fixtures):
    """Apple (matched by Apple id) and Spotify (matched by URI) in one batch, same video."""
    apple = json.loads((shared_fixtures / "apple_music" /
                        "rss_v2_us_music_most-played_100_songs_2022-01-10_first30.json").read_text())
    spotify_file = shared_fixtures / "spotify" / "regional-global-weekly-2022-01-13_first30.csv"
    import csv
    import io
    sp = list(csv.DictReader(io.StringIO(spotify_file.read_bytes().decode("utf-8-sig"))))
    # a video whose Spotify URI is on the Spotify chart and whose Apple id is on the Apple chart
    owner = factory.user()
    rel = factory.release(owner)
    s_row = sp[9]
    a_row = apple["feed"]["results"][19]
    vid = factory.video(rel, "Some other title", artist_name="Nobody", spotify_track_uri=s_row["uri"],
                        apple_music_id=a_row["id"])
    settings = settings_for(tmp_path, chart_locations={
        "spotify_global_weekly": str(spotify_file),
        "apple_music_top_100": str(shared_fixtures / "apple_music" /
                                   "rss_v2_us_music_most-played_100_songs_2022-01-10_first30.json")})
    import_id = request_backfill(conn, owner, vid, 1)["import_id"]
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"),
               clock=lambda: datetime(2022, 1, 14, tzinfo=UTC))
    j = job(conn, import_id)
    assert j["status"] == "succeeded", j["error_message"]
    rows = chart_rows(conn, vid)
    assert len(rows) == 1  # both charts' week starts on Monday 2022-01-10
    r = rows[0]
    assert r["collected_at"] == datetime(2022, 1, 10, tzinfo=UTC)
    assert r["chart_position"] == min(int(s_row["rank"]), 20)
    assert r["source"] == ("spotify_global_weekly" if int(s_row["rank"]) < 20 else "apple_music_top_100")
    assert r["detail"]["matched_by"] == ("spotify_uri" if int(s_row["rank"]) < 20 else "apple_music_id")
    assert r["detail"]["also_charted"][0]["rank"] == max(int(s_row["rank"]), 20)
    assert j["metadata"]["conflicts"][0]["kind"] == "other_chart"


def test_bad_feeds_are_refused_and_the_import_is_partially_failed(conn, db_url, tmp_path, tracked, real_hot100):
    owner, _s, a, _b, _rows = tracked
    docs = make_hot100_weeks(real_hot100, 6)
    bad_zero = LATEST - timedelta(weeks=1)
    docs[bad_zero]["data"][0]["peak_position"] = 0
    bad_worse = LATEST - timedelta(weeks=2)
    docs[bad_worse]["data"][3]["peak_position"] = 99  # worse than this week's rank
    empty = LATEST - timedelta(weeks=3)
    docs[empty]["data"] = []
    location = write_weeks(tmp_path / "hot100", docs)
    # a file whose date is not a chart week (a Friday), served for week 4
    off_week = LATEST - timedelta(weeks=4)
    (tmp_path / "hot100" / f"{off_week.isoformat()}.json").write_text(
        json.dumps({**docs[off_week], "date": (off_week - timedelta(days=1)).isoformat()}))
    import_id = request_backfill(conn, owner, a, 6)["import_id"]
    run_worker(db_url, settings_for(tmp_path, chart_locations={"billboard_hot_100": location}),
               LocalStorage(tmp_path / "s"))
    j = job(conn, import_id)
    assert j["status"] == "partially_failed"
    assert "4 of 6 chart feeds refused" in j["error_message"]
    refused = " | ".join(j["metadata"]["refused"])
    assert "peak rank 0 < 1" in refused
    assert "worse than this week's rank" in refused
    assert "empty data" in refused
    assert "disagrees with the expected chart date" in refused
    stored = {r["collected_at"].date() + timedelta(days=5) for r in chart_rows(conn, a)}
    assert stored == {LATEST, LATEST - timedelta(weeks=5)}  # only the two good weeks


def test_a_degraded_feed_alone_fails_the_import_and_stores_nothing(conn, db_url, tmp_path, factory, shared_fixtures):
    owner = factory.user()
    rel = factory.release(owner)
    doc = json.loads((shared_fixtures / "billboard" /
                      "global200_koreanthinker_recent_2026-08-08_top30_degraded_scrape.json").read_text())
    row = doc["data"][0]
    vid = factory.video(rel, row["name"], artist_name=row["artist"])
    import_id = request_backfill(conn, owner, vid, 1)["import_id"]
    settings = settings_for(tmp_path, chart_locations={"billboard_global_200": str(
        shared_fixtures / "billboard" / "global200_koreanthinker_recent_2026-08-08_top30_degraded_scrape.json")})
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"), clock=lambda: datetime(2026, 8, 10, tzinfo=UTC))
    j = job(conn, import_id)
    assert j["status"] == "failed"
    assert "every chart feed was refused" in j["error_message"] and "peak rank 0" in j["error_message"]
    assert chart_rows(conn, vid) == []


def test_plan_submitted_with_a_chart_target_queues_a_backfill_of_the_configured_weeks(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    draft = factory.video(rel, "Draft only", kpi_chart_target="billboard_hot_100")
    assert conn.execute("select count(*) as n from public.music_video_metric_imports where music_video_id = %s",
                        (draft,)).fetchone()["n"] == 0  # drafts are autosaves: nothing queued
    conn.execute("update public.music_video_settings set value = '10' where key = 'chart_backfill_weeks'")
    vid = factory.video(rel, "Submitted", kpi_chart_target="billboard_hot_100", submitted_at=AS_OF)
    jobs = conn.execute("select source, status, metadata from public.music_video_metric_imports"
                        " where music_video_id = %s", (vid,)).fetchall()
    assert [(j["source"], j["status"], j["metadata"]["backfill_weeks"], j["metadata"]["trigger"])
            for j in jobs] == [("charts", "pending", 10, "plan_created")]
    # submitting the draft later queues it too
    conn.execute("update public.music_videos set submitted_at = now() where id = %s", (draft,))
    assert conn.execute("select metadata ->> 'backfill_weeks' as w from public.music_video_metric_imports"
                        " where music_video_id = %s", (draft,)).fetchone()["w"] == "10"


def test_backfill_rpc_access_reuse_and_errors(conn, tracked):
    owner, stranger, a, _b, _rows = tracked
    first = request_backfill(conn, owner, a, 4)
    assert first["created"] is True and first["backfill_weeks"] == 4
    again = request_backfill(conn, owner, a)  # default: the setting (52); widens the pending job
    assert again["import_id"] == first["import_id"] and again["created"] is False
    assert job(conn, first["import_id"])["metadata"]["backfill_weeks"] == 52
    narrower = request_backfill(conn, owner, a, 2)
    assert job(conn, narrower["import_id"])["metadata"]["backfill_weeks"] == 52  # never narrowed
    assert job(conn, first["import_id"])["triggered_by"] == owner.id

    for who, vid, weeks, code, message in [
        (stranger, a, 4, "PT404", "Music video not found"),
        (owner, "00000000-0000-0000-0000-000000000000", 4, "PT404", "Music video not found"),
        (owner, a, 0, "22023", "Invalid backfill length"),
        (owner, a, 521, "22023", "Invalid backfill length"),
    ]:
        with pytest.raises(psycopg.Error) as exc:
            request_backfill(conn, who, vid, weeks)
        assert (exc.value.sqlstate, exc.value.diag.message_primary) == (code, message)
        if code == "22023":  # the one error shape
            assert to_rpc_error(exc.value).codes() == [("weeks", "out_of_range")]
    with pytest.raises(psycopg.Error) as exc:  # weeks is an integer: PostgREST's cast error
        request_backfill(conn, owner, a, "a year")
    assert exc.value.sqlstate == "22P02"

    conn.execute("update public.music_video_metric_imports set status = 'processing' where id = %s",
                 (first["import_id"],))
    with pytest.raises(psycopg.Error) as exc:
        request_backfill(conn, owner, a, 4)
    err = to_rpc_error(exc.value)
    assert (err.sqlstate, err.codes()) == ("PT409", [("music_video_id", "import_running")])

    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, jwt_claims(role="anon")) as c:
        call_as_postgrest(c, "request_music_video_chart_backfill", {"music_video_id": a})
    assert exc.value.sqlstate == "42501"


def test_an_unavailable_week_is_retried_then_reported_on_the_last_attempt(conn, db_url, tmp_path, tracked,
                                                                            real_hot100, httpserver):
    owner, _s, a, _b, _rows = tracked
    docs = make_hot100_weeks(real_hot100, 3)
    down = LATEST - timedelta(weeks=1)
    for day, doc in docs.items():
        if day == down:
            httpserver.expect_request(f"/{day.isoformat()}.json").respond_with_data("busy", status=503)
        else:
            httpserver.expect_request(f"/{day.isoformat()}.json").respond_with_json(doc)
    settings = settings_for(tmp_path, backoff_base=600, chart_locations={
        "billboard_hot_100": httpserver.url_for("/") + "{date}.json"})
    import_id = request_backfill(conn, owner, a, 3)["import_id"]
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"))
    j = job(conn, import_id)
    assert (j["status"], j["attempts"]) == ("pending", 1)  # transient: retried later, nothing stored yet
    assert "1 chart feed(s) unavailable" in j["error_message"] and "HTTP 503" in j["error_message"]
    assert chart_rows(conn, a) == []

    conn.execute("update public.music_video_metric_imports set run_after = now(), max_attempts = 2 where id = %s",
                 (import_id,))
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"))
    j = job(conn, import_id)
    assert (j["status"], j["attempts"]) == ("partially_failed", 2)  # last attempt: keep the good weeks
    assert "unavailable after 2 attempts" in j["metadata"]["refused"][0]
    assert len(chart_rows(conn, a)) == 2


def test_a_non_ascii_retry_after_is_ignored_not_a_crash_of_the_batch(conn, db_url, tmp_path, tracked, real_hot100,
                                                                     httpserver):
    owner, _s, a, b, _rows = tracked
    docs = make_hot100_weeks(real_hot100, 2)
    down = LATEST - timedelta(weeks=1)
    for day, doc in docs.items():
        if day == down:  # "¹".isdigit() is True: float("¹") used to raise out of the fetcher
            httpserver.expect_request(f"/{day.isoformat()}.json").respond_with_data(
                "busy", status=503, headers={"Retry-After": "\u00b9"})
        else:
            httpserver.expect_request(f"/{day.isoformat()}.json").respond_with_json(doc)
    settings = settings_for(tmp_path, backoff_base=600, chart_locations={
        "billboard_hot_100": httpserver.url_for("/") + "{date}.json"})
    ids = [request_backfill(conn, owner, v, 2)["import_id"] for v in (a, b)]
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"))
    for import_id in ids:  # both jobs of the batch: handled by the charts handler, retried later
        j = job(conn, import_id)
        assert (j["status"], j["attempts"]) == ("pending", 1)
        assert "1 chart feed(s) unavailable" in j["error_message"] and "HTTP 503" in j["error_message"]


def test_without_configured_chart_feeds_the_jobs_fail_with_the_reason(conn, db_url, tmp_path, tracked):
    owner, _s, a, _b, _rows = tracked
    import_id = request_backfill(conn, owner, a, 2)["import_id"]
    run_worker(db_url, settings_for(tmp_path, chart_locations={}), LocalStorage(tmp_path / "s"))
    j = job(conn, import_id)
    assert j["status"] == "failed"
    assert "no chart feed configured" in j["error_message"]
