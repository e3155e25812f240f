"""request_music_video_metrics_sync(): one live job per source, reused, race-safe; as PostgREST calls it."""

from __future__ import annotations

import json
import threading
import time
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from workers.db import call_as_postgrest, jwt_claims, postgrest_request

SERVICE = jwt_claims(role="service_role")
ANON = jwt_claims(role="anon")


def sync(conn, claims, vid):
    with postgrest_request(conn, claims) as c:
        return call_as_postgrest(c, "request_music_video_metrics_sync", {"id": str(vid)}).body


def jobs(conn, vid):
    return conn.execute("select id, source, status, platform, triggered_by, metadata"
                        " from public.music_video_metric_imports where music_video_id = %s"
                        " order by source, created_at", (vid,)).fetchall()


@pytest.fixture
def owned(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    # an ISRC makes it chart-syncable without the backfill job a kpi_chart_target queues at creation
    vid = factory.video(rel, "Syncable", isrc="USRC17607839")
    conn.execute("insert into public.music_video_platform_targets (music_video_id, platform, external_id)"
                 " values (%s, 'youtube', 'dQw4w9WgXcQ'), (%s, 'mtv', null)", (vid, vid))
    return owner, vid


def test_enqueues_one_pending_job_per_source_and_returns_the_ids(conn, owned):
    owner, vid = owned
    body = sync(conn, owner.claims(), vid)
    rows = jobs(conn, vid)
    assert [(r["source"], r["status"], r["platform"]) for r in rows] == [
        ("charts", "pending", None), ("youtube", "pending", "youtube")]
    assert sorted(body["import_ids"]) == sorted(str(r["id"]) for r in rows)
    assert {i["source"]: i["created"] for i in body["imports"]} == {"youtube": True, "charts": True}
    assert all(r["triggered_by"] == owner.id for r in rows)
    assert all(r["metadata"]["trigger"] == "manual" for r in rows)
    assert len({r["metadata"]["sync_id"] for r in rows}) == 1  # one request, one sync group


def test_a_second_request_reuses_live_jobs_and_a_finished_one_is_replaced(conn, owned):
    owner, vid = owned
    first = sync(conn, owner.claims(), vid)
    second = sync(conn, owner.claims(), vid)
    assert second["import_ids"] == first["import_ids"]
    assert {i["created"] for i in second["imports"]} == {False}
    assert len(jobs(conn, vid)) == 2

    by_source = {i["source"]: i["id"] for i in first["imports"]}
    conn.execute("update public.music_video_metric_imports set status = 'processing' where id = %s",
                 (by_source["youtube"],))
    conn.execute("update public.music_video_metric_imports set status = 'succeeded' where id = %s",
                 (by_source["charts"],))
    third = sync(conn, owner.claims(), vid)
    third_by_source = {i["source"]: i for i in third["imports"]}
    assert third_by_source["youtube"]["id"] == by_source["youtube"]  # processing: reused
    assert third_by_source["youtube"]["status"] == "processing"
    assert third_by_source["charts"]["id"] != by_source["charts"]  # finished: a new job
    assert third_by_source["charts"]["created"] is True
    assert len(jobs(conn, vid)) == 3


def test_a_live_job_queued_elsewhere_is_reused(conn, owned):
    owner, vid = owned
    # e.g. the chart backfill a submitted plan queues, or a nightly job
    backfill = conn.execute(
        "insert into public.music_video_metric_imports (music_video_id, source, metadata)"
        " values (%s, 'charts', '{\"backfill_weeks\": 52}') returning id", (vid,)).fetchone()["id"]
    body = sync(conn, owner.claims(), vid)
    assert {i["source"]: (i["id"], i["created"]) for i in body["imports"]}["charts"] == (str(backfill), False)
    assert len(jobs(conn, vid)) == 2


def test_only_the_sources_the_video_has(conn, factory):
    owner = factory.user()
    rel = factory.release(owner)
    charts_only = factory.video(rel, "Charts only", isrc="USRC17607839")
    body = sync(conn, owner.claims(), charts_only)
    assert [i["source"] for i in body["imports"]] == ["charts"]

    bare = factory.video(rel, "Nothing to sync")
    # a YouTube target without its video id cannot be fetched
    conn.execute("insert into public.music_video_platform_targets (music_video_id, platform)"
                 " values (%s, 'youtube')", (bare,))
    with pytest.raises(psycopg.Error) as exc:
        sync(conn, owner.claims(), bare)
    assert exc.value.sqlstate == "PT422"
    assert exc.value.diag.message_primary == "This music video has nothing to sync"
    problems = json.loads(exc.value.diag.message_detail)["problems"]  # the one error shape
    assert [(p["field"], p["code"]) for p in problems] == [("platform_targets", "nothing_to_sync"),
                                                           ("kpi_chart_target", "nothing_to_sync")]
    assert all(p["message"] for p in problems)
    assert jobs(conn, bare) == []


def test_strangers_missing_videos_and_anon_are_refused(conn, factory, owned):
    owner, vid = owned
    stranger = factory.user()
    for claims, target in [(stranger.claims(), vid), (owner.claims(), "00000000-0000-0000-0000-000000000000"),
                           (owner.claims(), "not-a-uuid")]:
        with pytest.raises(psycopg.Error) as exc:
            sync(conn, claims, target)
        assert exc.value.sqlstate == "PT404"
        assert exc.value.diag.message_primary == "Music video not found"
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as exc:
        sync(conn, ANON, vid)
    assert "permission denied for function request_music_video_metrics_sync" in str(exc.value)
    assert jobs(conn, vid) == []

    # the RPC is the only way in: the owner still may not write the job table directly
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, owner.claims()) as c:
        c.execute("insert into public.music_video_metric_imports (music_video_id, source) values (%s, 'youtube')",
                  (vid,))


def test_service_role_enqueues_without_a_triggering_user(conn, owned):
    _, vid = owned
    body = sync(conn, SERVICE, vid)
    assert len(body["import_ids"]) == 2
    assert {r["triggered_by"] for r in jobs(conn, vid)} == {None}


def test_a_concurrent_pair_creates_one_job_per_source(db_url, conn, owned):
    owner, vid = owned
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as a, \
            psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as b:
        b_pid = b.info.backend_pid
        results: dict[str, object] = {}

        def second():
            try:
                results["b"] = sync(b, owner.claims(), vid)
            except Exception as exc:  # surfaced below
                results["b_error"] = exc

        with postgrest_request(a, owner.claims()) as ca:
            results["a"] = call_as_postgrest(ca, "request_music_video_metrics_sync", {"id": str(vid)}).body
            t = threading.Thread(target=second)
            t.start()
            # wait until B is blocked on A's uncommitted job row, then let A commit
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                waiting = conn.execute("select wait_event_type from pg_stat_activity where pid = %s",
                                       (b_pid,)).fetchone()
                if waiting and waiting["wait_event_type"] == "Lock":
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the second request never waited on the first")
        t.join(10)
    assert "b_error" not in results, results.get("b_error")
    assert results["b"]["import_ids"] == results["a"]["import_ids"]
    assert {i["created"] for i in results["b"]["imports"]} == {False}
    rows = jobs(conn, vid)
    assert len(rows) == 2
    assert {str(r["id"]) for r in rows} == set(results["a"]["import_ids"])
    assert all(isinstance(UUID(i), UUID) for i in results["a"]["import_ids"])
