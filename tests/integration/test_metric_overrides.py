"""Manual overrides (admin) with their audit trail, and the rollback of an import batch.

The rollback test imports a CSV through the real worker, rolls it back as an admin, checks every
read path the owner uses (music_video_metrics_history, get_music_video, list_music_videos,
music_video_chart_history), then re-imports the same file: an owner's re-import leaves the rows
rolled back, an admin's explicit re-import restores them. Corrections stick: no machine write (the
one upsert every source, replay and re-import uses) changes an overridden value or a rolled-back row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from tests.helpers.broadcast import (
    LONG,
    SYNTHETIC,
    job,
    request_import,
    run,
    upload,
)
from tests.helpers.charts import chart_history
from tests.helpers.plan_rpc import to_rpc_error
from tests.helpers.reads import panel, read
from workers.db import FunctionNotFound, call_as_postgrest, call_rpc, jwt_claims, postgrest_request
from workers.metrics import MetricSample, upsert_samples
from workers.storage import LocalStorage


def override(conn, user, metric_id, **values):
    with postgrest_request(conn, user.claims()) as c:
        return call_as_postgrest(c, "override_music_video_metric", {"metric_id": metric_id, **values}).body


def rollback(conn, user, import_id, reason="partner sent the wrong week"):
    with postgrest_request(conn, user.claims()) as c:
        return call_as_postgrest(c, "rollback_music_video_import", {"import_id": import_id, "reason": reason}).body


def reimport(conn, user, import_id, reason="partner resent the file"):
    with postgrest_request(conn, user.claims()) as c:
        return call_rpc(c, "reimport_music_video_import", {"import_id": str(import_id), "reason": reason}).body


@pytest.fixture
def people(conn, factory):
    owner, stranger = factory.user(), factory.user()
    admin = factory.user(admin=True)
    rel = factory.release(owner)
    vid = factory.video(rel, "Overridden")
    metric_id = conn.execute(
        "insert into public.music_video_metrics (music_video_id, platform, views_total, likes_total, collected_at,"
        " source) values (%s, 'mtv', 100, 7, %s, 'broadcast:x.csv') returning id",
        (vid, datetime(2026, 11, 1, tzinfo=UTC))).fetchone()["id"]
    return owner, stranger, admin, rel, vid, metric_id


def test_admin_override_keeps_the_previous_values_in_the_audit_trail(conn, people):
    owner, stranger, admin, _rel, vid, metric_id = people
    row = override(conn, admin, metric_id, views_total=120, reason="partner figure was missing a region")
    assert (row["views_total"], row["likes_total"]) == (120, 7)
    assert row["detail"]["manual_override"]["reason"] == "partner figure was missing a region"
    override(conn, admin, metric_id, views_total=130, likes_total=9, reason="second correction")

    with postgrest_request(conn, owner.claims()) as c:
        trail = c.execute("select changed_by, previous, new, reason from public.music_video_metric_overrides"
                          " where metric_id = %s order by changed_at, previous ->> 'views_total'",
                          (metric_id,)).fetchall()
    assert [(t["previous"], t["new"], t["changed_by"]) for t in trail] == [
        ({"views_total": 100}, {"views_total": 120}, admin.id),
        ({"views_total": 120, "likes_total": 7}, {"views_total": 130, "likes_total": 9}, admin.id)]
    with postgrest_request(conn, stranger.claims()) as c:
        assert c.execute("select count(*) as n from public.music_video_metric_overrides").fetchone()["n"] == 0
        with pytest.raises(psycopg.Error) as exc:
            c.execute("insert into public.music_video_metric_overrides (metric_id, music_video_id, previous, new,"
                      " reason) values (%s, %s, '{}', '{}', 'x')", (metric_id, vid))
        assert exc.value.sqlstate == "42501"
    now = conn.execute("select views_total from public.music_video_metrics where id = %s", (metric_id,)).fetchone()
    assert now["views_total"] == 130


def test_override_errors(conn, people):
    owner, _stranger, admin, _rel, _vid, metric_id = people
    cases = [
        (owner, {"views_total": 1, "reason": "r"}, "PT403", "Only admins can override metrics", None),
        (admin, {"views_total": 1, "reason": None}, "22023", "Invalid metric override", [("reason", "required")]),
        (admin, {"reason": "nothing to change"}, "22023", "Invalid metric override", [("values", "required")]),
        (admin, {"views_total": -1, "likes_total": -2, "chart_position": 0, "reason": " "}, "22023",
         "Invalid metric override", [("likes_total", "negative"), ("views_total", "negative"),
                                     ("chart_position", "out_of_range"), ("reason", "required")]),
    ]
    for user, values, code, message, problems in cases:
        with pytest.raises(psycopg.Error) as exc:
            override(conn, user, metric_id, **values)
        err = to_rpc_error(exc.value)
        assert (err.sqlstate, err.message) == (code, message), values
        if problems:  # the one error shape: {"problems": [{field, code, message}]}
            assert err.codes() == problems, values
    # the counts are bigints and the reason is required: PostgREST's answers before the function
    with pytest.raises(psycopg.Error) as exc:
        override(conn, admin, metric_id, views_total="many", reason="r")
    assert exc.value.sqlstate == "22P02"
    with pytest.raises(FunctionNotFound):
        override(conn, admin, metric_id, views_total=1)
    with pytest.raises(psycopg.Error) as exc:
        override(conn, admin, "00000000-0000-0000-0000-000000000000", views_total=1, reason="r")
    assert (exc.value.sqlstate, exc.value.diag.message_primary) == ("PT404", "Metric not found")
    with pytest.raises(psycopg.Error) as exc, postgrest_request(conn, jwt_claims(role="anon")) as c:
        call_as_postgrest(c, "override_music_video_metric", {"metric_id": metric_id, "views_total": 1, "reason": "r"})
    assert exc.value.sqlstate == "42501"
    assert conn.execute("select count(*) as n from public.music_video_metric_overrides").fetchone()["n"] == 0


def test_rollback_hides_rows_on_every_read_path_and_a_reimport_restores_them(conn, db_url, tmp_path, people):
    owner, _stranger, admin, rel, vid, _metric_id = people
    conn.execute("delete from public.music_video_metrics where music_video_id = %s", (vid,))
    storage = LocalStorage(tmp_path / "storage")
    data = (SYNTHETIC / "comma_thousands_quoted_multiline.csv").read_bytes()
    path = upload(conn, storage, owner, rel, "weekly.csv", data)
    first = request_import(conn, owner, vid, path)
    run(db_url, tmp_path, storage)
    assert job(conn, first)["status"] == "succeeded"

    def history_count():  # the live samples the history drawer lists (one page holds them all)
        return len(read(conn, owner.claims(), "music_video_metrics_history", id=str(vid), page_size=500))

    def document():
        return panel(conn, owner.claims(), vid)

    def card():
        [c] = read(conn, owner.claims(), "list_music_videos", release_id=str(rel))
        return c

    n = history_count()
    assert n > 0
    assert [m["platform"] for m in document()["latest_metrics"]] == ["mtv"]
    assert card()["views_by_platform"]["mtv"] > 0

    with pytest.raises(psycopg.Error) as exc:
        rollback(conn, owner, first)
    assert (exc.value.sqlstate, exc.value.diag.message_primary) == ("PT403", "Only admins can roll back imports")
    body = rollback(conn, admin, first)
    assert body == {"import_id": str(first), "status": "failed", "previous_status": "succeeded", "rows_deleted": n,
                    "chart_positions_deleted": 0}
    j = job(conn, first)
    assert j["status"] == "failed" and j["error_message"] == "rolled back: partner sent the wrong week"
    assert j["metadata"]["rollbacks"][0]["rows_deleted"] == n

    assert history_count() == 0
    assert document()["latest_metrics"] == []
    assert not card()["views_by_platform"]
    assert conn.execute("select count(*) as n from public.music_video_metrics where music_video_id = %s"
                        " and deleted_at is not null", (vid,)).fetchone()["n"] == n  # soft, not hard, deleted

    # the same file imported again by the owner: a machine write, so the rollback stands
    again = request_import(conn, owner, vid, path)
    run(db_url, tmp_path, storage)
    assert job(conn, again)["status"] == "succeeded"
    assert job(conn, again)["metadata"]["samples"] == {"inserted": 0, "updated": 0, "count": n}
    assert history_count() == 0

    # only an admin's explicit re-import replaces the rolled-back rows, and the trail says so
    with pytest.raises(psycopg.Error) as exc:
        reimport(conn, owner, first)
    assert (exc.value.sqlstate, exc.value.diag.message_primary) == (
        "PT403", "Only admins can re-import over corrections")
    second = reimport(conn, admin, first, reason="partner resent the week")
    run(db_url, tmp_path, storage)
    assert job(conn, second)["status"] == "succeeded"
    assert history_count() == n
    assert job(conn, second)["metadata"]["samples"] == {"inserted": 0, "updated": n, "count": n}
    assert job(conn, second)["metadata"]["correction"]["reason"] == "partner resent the week"
    assert job(conn, first)["metadata"]["reimports"][0]["import_id"] == str(second)

    with pytest.raises(psycopg.Error) as exc:
        rollback(conn, admin, second, reason=" ")
    err = to_rpc_error(exc.value)
    assert (err.sqlstate, err.codes()) == ("22023", [("reason", "required")])
    with pytest.raises(psycopg.Error) as exc:
        reimport(conn, admin, first, reason=None)
    err = to_rpc_error(exc.value)
    assert (err.sqlstate, err.codes()) == ("22023", [("reason", "required")])
    pending = request_import(conn, owner, vid, path)
    for again in (rollback, reimport):
        with pytest.raises(psycopg.Error) as exc:
            again(conn, admin, pending)
        err = to_rpc_error(exc.value)
        assert (err.sqlstate, err.message, err.codes()) == ("PT409", "The import has not finished",
                                                            [("import_id", "not_finished")])
        assert err.problems[0]["status"] == "pending"


def test_rollback_of_a_chart_import_hides_its_weeks_from_the_chart_history(conn, people):
    owner, _s, admin, _rel, vid, _m = people
    imp = conn.execute("insert into public.music_video_metric_imports (music_video_id, source, status)"
                       " values (%s, 'charts', 'succeeded') returning id", (vid,)).fetchone()["id"]
    for week, rank in ((datetime(2026, 8, 3, tzinfo=UTC), 5), (datetime(2026, 8, 10, tzinfo=UTC), 2)):
        conn.execute("insert into public.music_video_metrics (music_video_id, platform, collected_at, source,"
                     " chart_position, import_batch_id) values (%s, 'other', %s, 'billboard_hot_100', %s, %s)",
                     (vid, week, rank, imp))
    h = chart_history(conn, owner, vid)
    assert (h["peak_position"], h["weeks_on_chart"]) == (2, 2)
    rollback(conn, admin, imp)
    h = chart_history(conn, owner, vid)
    assert (h["peak_position"], h["weeks_on_chart"], h["weeks"]) == (None, 0, [])
    assert LONG  # (imported helper in use)


def _machine_write(conn, vid, views, likes, batch=None):
    """What every source, replay and re-import does: the one upsert, keyed by (video, platform, collected_at)."""
    with conn.transaction():
        return upsert_samples(conn, [MetricSample(vid, "mtv", datetime(2026, 11, 1, tzinfo=UTC), "broadcast:x.csv",
                                                  views_total=views, likes_total=likes, import_batch_id=batch)])


def test_an_overridden_value_survives_every_machine_write_but_not_the_next_override(conn, people):
    _owner, _stranger, admin, _rel, vid, metric_id = people
    override(conn, admin, metric_id, views_total=120, reason="partner figure was missing a region")
    counts = _machine_write(conn, vid, views=100, likes=8)  # a re-sync of the same collected_at
    assert counts.updated == 1
    row = conn.execute("select views_total, likes_total, detail from public.music_video_metrics where id = %s",
                       (metric_id,)).fetchone()
    # the admin's field stays; the field nobody corrected takes the new sample; the note stays
    assert (row["views_total"], row["likes_total"]) == (120, 8)
    assert row["detail"]["manual_override"]["fields"] == {"views_total": 120}
    override(conn, admin, metric_id, views_total=125, reason="second correction")
    assert conn.execute("select views_total from public.music_video_metrics where id = %s",
                        (metric_id,)).fetchone()["views_total"] == 125


def test_a_rolled_back_row_survives_every_machine_write(conn, people):
    _owner, _stranger, admin, _rel, vid, metric_id = people
    imp = conn.execute("insert into public.music_video_metric_imports (music_video_id, platform, source, status,"
                       " completed_at) values (%s, 'mtv', 'broadcast', 'succeeded', now()) returning id",
                       (vid,)).fetchone()["id"]
    conn.execute("update public.music_video_metrics set import_batch_id = %s where id = %s", (imp, metric_id))
    rollback(conn, admin, imp)
    counts = _machine_write(conn, vid, views=999, likes=1, batch=imp)  # a replay of the same batch
    assert counts.updated == 0
    row = conn.execute("select views_total, deleted_at from public.music_video_metrics where id = %s",
                       (metric_id,)).fetchone()
    assert row["views_total"] == 100 and row["deleted_at"] is not None
