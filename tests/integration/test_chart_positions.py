"""Every chart's history kept (issue "Analytics a release manager can trust", section 1).

music_video_metrics keeps one row per (video, 'other', week): the best rank of any chart. The
per-chart positions (music_video_chart_positions) are written in the same commit, and
music_video_chart_history(video, chart) answers from them. Feeds: the real Hot 100 fixture (made
weekly by ``make_hot100_weeks``) and the real Spotify weekly CSV, copied under each week's
Thursday file name; the worker runtime and the database are real.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.helpers.charts import (
    AS_OF,
    chart_history,
    chart_rows,
    hot100_fixture,
    job,
    make_hot100_weeks,
    request_backfill,
    write_weeks,
)
from tests.helpers.worker import run_worker, settings_for
from workers.db import call_as_postgrest, postgrest_request
from workers.sources.charts.spotify import parse_spotify_weekly
from workers.storage import LocalStorage

SPOTIFY_2026 = "regional-global-weekly-2026-10-01_first30_plus_rows78_118_125.csv"


def spotify_weeks(shared_fixtures: Path, folder: Path, thursdays: list[date]) -> str:
    """The real 2026-10-01 Spotify weekly file under each Thursday's name (same rows every week)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = (shared_fixtures / "spotify" / SPOTIFY_2026).read_bytes()
    for d in thursdays:
        (folder / f"regional-global-weekly-{d.isoformat()}.csv").write_bytes(data)
    return str(folder / "regional-global-weekly-{date}.csv")


def spotify_rows(shared_fixtures: Path):
    return parse_spotify_weekly((shared_fixtures / "spotify" / SPOTIFY_2026).read_bytes(),
                                filename=SPOTIFY_2026).entries


def positions(conn, vid, chart=None):
    return conn.execute(
        "select chart, week_start, chart_rank, feed_weeks_on_chart, import_batch_id, deleted_at"
        " from public.music_video_chart_positions where music_video_id = %s and (%s::text is null or chart = %s)"
        " order by chart, week_start", (vid, chart, chart)).fetchall()


def test_hot100_and_spotify_in_the_same_weeks_keep_both_runs(conn, db_url, tmp_path, factory, shared_fixtures):
    real = hot100_fixture(shared_fixtures)
    hot_row = real["data"][2]  # Hot 100 ranks 3, 4, 5, 6 over the 4 weeks (newest first)
    sp = next(e for e in spotify_rows(shared_fixtures) if e.rank == 5)  # Spotify #5 every week
    owner = factory.user()
    rel = factory.release(owner)
    vid = factory.video(rel, hot_row["song"], artist_name=hot_row["artist"], spotify_track_uri=sp.external_id)
    hot = write_weeks(tmp_path / "hot100", make_hot100_weeks(real, 4))
    spotify = spotify_weeks(shared_fixtures, tmp_path / "spotify",
                            [date(2026, 8, 6) - timedelta(weeks=k) for k in range(4)])
    import_id = request_backfill(conn, owner, vid, 4)["import_id"]
    run_worker(db_url, settings_for(tmp_path, chart_locations={"billboard_hot_100": hot,
                                                               "spotify_global_weekly": spotify}),
               LocalStorage(tmp_path / "s"))
    j = job(conn, import_id)
    assert j["status"] == "succeeded", j["error_message"]
    mondays = [date(2026, 8, 3) - timedelta(weeks=k) for k in range(4)]

    # the metric rows stay one per week, the best rank, the losing chart logged as a conflict
    rows = {r["collected_at"].date(): (r["source"], r["chart_position"]) for r in chart_rows(conn, vid)}
    assert rows == {mondays[0]: ("billboard_hot_100", 3), mondays[1]: ("billboard_hot_100", 4),
                    mondays[2]: ("billboard_hot_100", 5), mondays[3]: ("spotify_global_weekly", 5)}
    assert j["metadata"]["conflict_count"] == 4
    assert j["metadata"]["chart_positions"] == 8

    # each chart's own run is whole
    hot_h = chart_history(conn, owner, vid, "billboard_hot_100")
    assert [(w["week_start"], w["chart_position"]) for w in hot_h["weeks"]] == [
        (m.isoformat(), 3 + k) for k, m in enumerate(mondays)]
    assert hot_h["weeks_on_chart"] == 4 and hot_h["weeks_off_chart"] == 0
    assert hot_h["peak_position"] == 3 and hot_h["current_position"] == 3
    sp_h = chart_history(conn, owner, vid, "spotify_global_weekly")
    assert [(w["week_start"], w["chart_position"], w["on_chart"]) for w in sp_h["weeks"]] == [
        (m.isoformat(), 5, True) for m in mondays]
    assert all(w["chart"] == "spotify_global_weekly" for w in sp_h["weeks"])
    # the metric row of a week another chart won is still linked
    assert sp_h["weeks"][0]["metric_id"] is not None
    # without a chart: the best rank per week, as before
    any_h = chart_history(conn, owner, vid)
    assert [w["chart_position"] for w in any_h["weeks"]] == [3, 4, 5, 5]

    # owners read their positions under RLS, strangers do not
    stranger = factory.user()
    for user, n in ((owner, 8), (stranger, 0)):
        with postgrest_request(conn, user.claims(), method="GET") as c:
            got = c.execute("select count(*) as n from public.music_video_chart_positions"
                            " where music_video_id = %s", (vid,)).fetchone()
        assert got["n"] == n


def test_weeks_on_chart_and_reentry_follow_the_charts_own_columns(conn, db_url, tmp_path, factory, shared_fixtures):
    """One stored week: a Spotify re-entry (previous -1, 42 weeks) and a Hot 100 song in its 41st
    week are not "new"; a Hot 100 debut (weeks 1) is."""
    owner = factory.user()
    rel = factory.release(owner)
    opalite = next(e for e in spotify_rows(shared_fixtures) if e.weeks_on_chart == 42)
    assert opalite.previous_rank is None  # -1 in the file: the chart does not tell debut from re-entry
    re_entry = factory.video(rel, "A title the charts never saw", artist_name="Nobody",
                             spotify_track_uri=opalite.external_id)
    real = hot100_fixture(shared_fixtures)
    veteran_row, debut_row = real["data"][0], real["data"][1]  # 41 weeks, last week 1 / a debut
    veteran = factory.video(rel, veteran_row["song"], artist_name=veteran_row["artist"])
    debut = factory.video(rel, debut_row["song"], artist_name=debut_row["artist"])
    spotify = spotify_weeks(shared_fixtures, tmp_path / "spotify", [date(2026, 10, 1)])
    (tmp_path / "hot100").mkdir()
    (tmp_path / "hot100" / "2026-10-03.json").write_text(json.dumps({**real, "date": "2026-10-03"}))
    for v in (re_entry, veteran, debut):
        request_backfill(conn, owner, v, 1)
    run_worker(db_url, settings_for(tmp_path, chart_locations={
        "spotify_global_weekly": spotify, "billboard_hot_100": str(tmp_path / "hot100" / "{date}.json")}),
        LocalStorage(tmp_path / "s"), clock=lambda: datetime(2026, 10, 4, 12, tzinfo=UTC))

    h = chart_history(conn, owner, re_entry, "spotify_global_weekly")
    assert h["weeks_on_chart"] == 1  # what we stored
    assert h["entry_kind"] == "re_entry"
    assert h["weeks"][0]["entry_kind"] == "re_entry"
    assert (h["since_debut_weeks_on_chart"], h["since_debut_peak_position"], h["since_debut_source"]) == (
        42, opalite.peak_rank, "chart")

    h = chart_history(conn, owner, veteran, "billboard_hot_100")
    assert h["weeks"][0]["entry_kind"] == "continuing"
    assert h["entry_kind"] is None  # no debut or re-entry within the stored weeks
    assert (h["since_debut_weeks_on_chart"], h["since_debut_peak_position"]) == (41, 1)

    h = chart_history(conn, owner, debut, "billboard_hot_100")
    assert h["entry_kind"] == "new" and h["since_debut_weeks_on_chart"] == 1


def test_inconsistent_feed_values_are_not_used(conn, db_url, tmp_path, factory, shared_fixtures):
    """A feed claiming 2 weeks on chart in the week we stored our 3rd is not believed: the
    since-debut figures come from stored history. (Each week is judged on its own.)"""
    real = hot100_fixture(shared_fixtures)
    docs = make_hot100_weeks(real, 3)
    for doc in docs.values():
        for r in doc["data"]:
            r["weeks_on_chart"] = 2
    owner = factory.user()
    rel = factory.release(owner)
    row = real["data"][2]
    vid = factory.video(rel, row["song"], artist_name=row["artist"])
    request_backfill(conn, owner, vid, 3)
    run_worker(db_url, settings_for(tmp_path, chart_locations={
        "billboard_hot_100": write_weeks(tmp_path / "hot100", docs)}), LocalStorage(tmp_path / "s"))
    h = chart_history(conn, owner, vid, "billboard_hot_100")
    assert h["weeks_on_chart"] == 3
    # the feed's "peak 1" is not taken either: the latest week's figures were refused as a whole
    assert (h["since_debut_weeks_on_chart"], h["since_debut_peak_position"], h["since_debut_source"]) == (
        3, 3, "stored_history")
    assert h["weeks"][0]["feed_consistent"] is False  # 2 < the 3 weeks stored by then
    assert h["weeks"][-1]["feed_consistent"] is True  # 2 >= 1: its first week is a re-entry per the chart
    assert h["weeks"][-1]["entry_kind"] == "re_entry"


def test_rollback_soft_deletes_the_positions_and_a_refetch_does_not_restore_them(
        conn, db_url, tmp_path, factory, shared_fixtures):
    real = hot100_fixture(shared_fixtures)
    owner, admin = factory.user(), factory.user(admin=True)
    rel = factory.release(owner)
    row = real["data"][2]
    vid = factory.video(rel, row["song"], artist_name=row["artist"])
    settings = settings_for(tmp_path, chart_locations={
        "billboard_hot_100": write_weeks(tmp_path / "hot100", make_hot100_weeks(real, 2))})
    import_id = request_backfill(conn, owner, vid, 2)["import_id"]
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"))
    assert len(positions(conn, vid)) == 2

    with postgrest_request(conn, admin.claims()) as c:
        out = call_as_postgrest(c, "rollback_music_video_import", {"import_id": import_id, "reason": "wrong song"}).body
    assert out["chart_positions_deleted"] == 2
    assert all(p["deleted_at"] is not None for p in positions(conn, vid))
    assert chart_history(conn, owner, vid, "billboard_hot_100")["weeks"] == []
    rollbacks = job(conn, import_id)["metadata"]["rollbacks"]
    assert rollbacks[-1]["chart_positions_deleted"] == 2

    # a later machine fetch of the same weeks does not bring the rolled-back positions back
    conn.execute("update public.music_video_metric_imports set dedupe_key = null where id = %s", (import_id,))
    again = request_backfill(conn, owner, vid, 2)["import_id"]
    assert again != import_id
    run_worker(db_url, settings, LocalStorage(tmp_path / "s"), clock=lambda: AS_OF + timedelta(minutes=5))
    assert job(conn, again)["status"] == "succeeded"
    kept = positions(conn, vid)
    assert all(p["deleted_at"] is not None and str(p["import_batch_id"]) == str(import_id) for p in kept)
    assert chart_history(conn, owner, vid, "billboard_hot_100")["weeks"] == []


def test_chart_positions_are_admin_writes_only(conn, factory):
    owner = factory.user()
    vid = factory.video(factory.release(owner), "x")
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, owner.claims()) as c:
        c.execute("insert into public.music_video_chart_positions (music_video_id, chart, week_start, chart_rank)"
                  " values (%s, 'billboard_hot_100', '2026-08-03', 1)", (vid,))
    assert exc.value.sqlstate == "42501"
