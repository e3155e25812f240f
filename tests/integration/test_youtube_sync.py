"""YouTube jobs end to end: real workers, the embedded database, a loopback fake of videos.list
serving the real fixture items and error bodies (see test_queue_support.FakeYouTube)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from tests.conftest import SHARED_FIXTURES
from tests.helpers.queue_support import (
    TEST_KEY,
    FakeYouTube,
    drain,
    error_fixture_names,
    job_counts,
    make_settings,
    make_videos,
    quota_day_ends,
    running_worker,
    wait_for,
)
from workers.errors import ConfigError
from workers.sources.registry import build_handlers
from workers.sources.youtube.job import queue_youtube_sync, replay_youtube
from workers.sources.youtube.parser import next_quota_reset
from workers.storage import RAW_PAYLOAD_BUCKET, LocalStorage
from workers.sync import sync_music_video_metrics


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


def _imports(conn):
    return conn.execute("select * from public.music_video_metric_imports order by created_at, id").fetchall()


def test_100_videos_cost_two_calls(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 100)
    for n, (_vid, ext) in enumerate(videos):
        yt.add(ext, views=10_000 + n, likes=n, comments=2 * n, favorites=0)
    release = conn.execute("select release_id from public.music_videos where id = %s",
                           (videos[0][0],)).fetchone()["release_id"]
    req = sync_music_video_metrics(conn, release_id=release)
    assert req.created == 100

    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)

    assert yt.call_count == 2
    assert sorted(len(c) for c in yt.calls) == [50, 50]
    assert sorted(i for c in yt.calls for i in c) == sorted(e for _, e in videos)
    assert set(yt.keys) == {TEST_KEY}
    assert job_counts(conn) == {"succeeded": 100}
    rows = conn.execute("select m.*, t.external_id from public.music_video_metrics m join"
                        " public.music_video_platform_targets t using (music_video_id)").fetchall()
    assert len(rows) == 100
    for r in rows:
        n = int(r["external_id"][1:])
        assert (r["platform"], r["views_total"], r["likes_total"], r["comments_total"], r["favorites_total"]) == \
            ("youtube", 10_000 + n, n, 2 * n, 0)
        assert r["import_batch_id"] is not None and r["deleted_at"] is None
    # raw payloads kept for audit, path recorded on every import
    storage = LocalStorage(tmp_path / "storage")
    paths = {(i["metadata"]["raw_payload"]["bucket"], i["metadata"]["raw_payload"]["path"]) for i in _imports(conn)}
    assert len(paths) == 2
    for bucket, path in paths:
        assert bucket == RAW_PAYLOAD_BUCKET
        assert json.loads(storage.get(bucket, path))["kind"] == "youtube#videoListResponse"
    # one analytics event per video sync
    events = conn.execute("select * from public.music_video_events").fetchall()
    assert len(events) == 100
    assert {e["event"] for e in events} == {"music_video.metrics_synced"}
    assert all(e["payload"]["sources"] == ["youtube"] and e["payload"]["counts"]["samples_inserted"] == 1
               for e in events)


def test_counts_are_bigint_and_hidden_likes_are_null(conn, factory, yt, tmp_path, db_url):
    (v1, e1), (v2, e2), (v3, e3) = make_videos(conn, factory, 3)
    yt.add(e1, views=9_876_543_210_123, likes=None, comments=5)  # likes hidden by the owner
    yt.add(e2, views=42, likes=7, comments=None)  # comments disabled
    yt.add(e3, views=0, likes=0, comments=0, favorites=None)
    for v in (v1, v2, v3):
        queue_youtube_sync(conn, v)
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    got = {r["music_video_id"]: r for r in conn.execute("select * from public.music_video_metrics")}
    assert (got[v1]["views_total"], got[v1]["likes_total"], got[v1]["comments_total"]) == (9_876_543_210_123, None, 5)
    assert (got[v2]["likes_total"], got[v2]["comments_total"]) == (7, None)
    assert (got[v3]["views_total"], got[v3]["likes_total"], got[v3]["favorites_total"]) == (0, 0, None)
    assert got[v1]["detail"]["unknown"] == ["like_count"]
    assert yt.call_count == 1


def test_missing_id_fails_that_job_only_and_is_not_retried(conn, factory, yt, tmp_path, db_url):
    (v1, e1), (v2, _e2) = make_videos(conn, factory, 2)
    yt.add(e1, views=5)  # e2 is not returned: deleted or private
    j1, j2 = queue_youtube_sync(conn, v1), queue_youtube_sync(conn, v2)
    settings = make_settings(tmp_path, db_url, yt.base_url)
    drain(settings, db_url)
    rows = {r["id"]: r for r in _imports(conn)}
    assert rows[j1]["status"] == "succeeded"
    assert rows[j2]["status"] == "failed"
    assert "video not found or private" in rows[j2]["error_message"]
    assert rows[j2]["attempts"] == 1 and rows[j2]["completed_at"] is not None
    drain(settings, db_url)  # nothing left to retry
    assert yt.call_count == 1
    assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 1


def test_quota_exceeded_defers_every_youtube_job_to_midnight_pacific(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 60)
    for _, e in videos:
        yt.add(e)
    yt.fail_always("error_403_quotaExceeded.json")
    sync_music_video_metrics(conn, release_id=conn.execute(
        "select release_id from public.music_videos where id = %s", (videos[0][0],)).fetchone()["release_id"])
    before = datetime.now(UTC)
    settings = make_settings(tmp_path, db_url, yt.base_url, worker_concurrency=1)
    drain(settings, db_url)
    assert yt.call_count == 1  # the 10 jobs of the second batch were never sent
    rows = _imports(conn)
    expected = next_quota_reset(before)
    assert {r["status"] for r in rows} == {"pending"}
    assert {r["run_after"] for r in rows} == {expected}
    assert all(r["attempts"] == 0 for r in rows)  # a deferral is not an attempt
    assert all("quota" in r["error_message"].lower() for r in rows)
    # the batch that called, and any batch claimed ahead meanwhile, were deferred by the worker
    claimed = [r for r in rows if r["metadata"].get("attempt_errors")]
    assert len(claimed) >= 50 and all(r["metadata"]["attempt_errors"][0]["outcome"] == "defer" for r in claimed)
    pause = conn.execute("select * from private.worker_source_pauses").fetchone()
    assert pause["source"] == "youtube" and pause["paused_until"] == expected
    # a job requested after the deferral is not sent either, by this or another worker
    (v_new, e_new), = make_videos(conn, factory, 1, start=1000)
    yt.add(e_new)
    queue_youtube_sync(conn, v_new)
    drain(settings, db_url)
    assert yt.call_count == 1
    # once the quota resets the jobs run
    yt.always = None
    # the key stays set aside in the shared quota count for the rest of the quota day
    assert conn.execute("select exhausted_at is not null as x from private.youtube_quota_usage"
                        " where key_name = 'default'").fetchone()["x"]
    quota_day_ends(conn)
    conn.execute("update public.music_video_metric_imports set run_after = now()")
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    assert job_counts(conn) == {"succeeded": 61}
    assert yt.call_count == 1 + 2


def test_transient_errors_back_off_then_succeed(conn, factory, yt, tmp_path, db_url):
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e, views=77)
    yt.fail_next("error_503_backendError.json")
    yt.fail_next("error_429_rateLimitExceeded_global_quota_metric.json")
    job = queue_youtube_sync(conn, v)
    settings = make_settings(tmp_path, db_url, yt.base_url)
    with running_worker(settings, db_url):
        wait_for(lambda: conn.execute("select status from public.music_video_metric_imports where id = %s",
                                      (job,)).fetchone()["status"] == "succeeded")
    row = conn.execute("select * from public.music_video_metric_imports where id = %s", (job,)).fetchone()
    assert row["attempts"] == 3
    errors = row["metadata"]["attempt_errors"]
    assert [e["attempt"] for e in errors] == [1, 2]
    assert "server error" in errors[0]["error"] and "rate limit" in errors[1]["error"]
    assert yt.call_count == 3
    assert conn.execute("select views_total from public.music_video_metrics").fetchone()["views_total"] == 77


def test_retries_stop_at_max_attempts(conn, factory, yt, tmp_path, db_url):
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e)
    yt.fail_always("error_500_backendError.json")
    job = queue_youtube_sync(conn, v)
    conn.execute("update public.music_video_metric_imports set max_attempts = 3 where id = %s", (job,))
    settings = make_settings(tmp_path, db_url, yt.base_url)
    with running_worker(settings, db_url):
        wait_for(lambda: conn.execute("select status from public.music_video_metric_imports where id = %s",
                                      (job,)).fetchone()["status"] == "failed")
    row = conn.execute("select * from public.music_video_metric_imports where id = %s", (job,)).fetchone()
    assert row["attempts"] == 3 and yt.call_count == 3
    assert row["error_message"].startswith("gave up after 3 attempts: YouTube server error")
    assert len(row["metadata"]["attempt_errors"]) == 3
    # the backoff grew: each retry waited at least half the exponential delay
    times = [datetime.fromisoformat(e["at"]) for e in row["metadata"]["attempt_errors"]]
    assert (times[1] - times[0]).total_seconds() >= 0.025
    assert (times[2] - times[1]).total_seconds() >= 0.05


def test_bad_key_fails_fast_and_is_never_logged(conn, factory, yt, tmp_path, db_url, caplog):
    videos = make_videos(conn, factory, 3)
    yt.fail_always("error_400_keyInvalid_usageLimits.json")
    jobs = [queue_youtube_sync(conn, v) for v, _ in videos]
    with caplog.at_level(logging.DEBUG):
        drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    rows = _imports(conn)
    assert {r["status"] for r in rows} == {"failed"} and len(rows) == len(jobs)
    assert all(r["attempts"] == 1 for r in rows)
    assert all("API key is invalid" in r["error_message"] for r in rows)
    assert yt.call_count == 1
    ours = [r for r in caplog.records if r.name != "werkzeug"]  # the fake server's own access log
    text = "\n".join(f"{r.getMessage()} {vars(r)}" for r in ours)
    text += json.dumps([dict(r) for r in rows], default=str)
    assert TEST_KEY not in text


@pytest.mark.parametrize("name", error_fixture_names(SHARED_FIXTURES))
def test_every_real_error_body(conn, factory, yt, tmp_path, db_url, name):
    """Each real error body, with its real status, leads to the right job state."""
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e)
    yt.fail_next(name)
    job = queue_youtube_sync(conn, v)
    w = drain(make_settings(tmp_path, db_url, yt.base_url, backoff_base=30, backoff_max=60), db_url)
    row = conn.execute("select * from public.music_video_metric_imports where id = %s", (job,)).fetchone()
    assert yt.call_count == 1 and w.stats["finished"] == 1
    if "quotaExceeded" in name:
        assert (row["status"], row["attempts"]) == ("pending", 0)
        at = datetime.fromisoformat(row["metadata"]["attempt_errors"][0]["at"])
        assert row["run_after"] == next_quota_reset(at)
    elif any(k in name for k in ("rateLimitExceeded", "500", "503")):
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert (row["run_after"] - datetime.now(UTC)).total_seconds() > 10  # backing off
        assert "retrying in" in row["error_message"]
    else:  # 400s: a bad key or a bad request; retrying cannot help
        assert (row["status"], row["attempts"]) == ("failed", 1)
        assert row["error_message"]
    assert row["metadata"]["attempt_errors"][0]["error"] in row["error_message"] or row["status"] == "pending"


def test_two_workers_share_the_queue_and_each_job_runs_once(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 400)
    for _, e in videos:
        yt.add(e)
    yt.delay = 0.05
    settings = make_settings(tmp_path, db_url, yt.base_url, worker_concurrency=2)
    with running_worker(settings, db_url) as w1, running_worker(settings, db_url) as w2:
        wait_for(lambda: w1.dispatcher.listening and w2.dispatcher.listening)  # both listening
        for v, _ in videos:  # one by one, as 400 separate requests would
            queue_youtube_sync(conn, v)
        wait_for(lambda: job_counts(conn) == {"succeeded": 400}, timeout=30)
    sent = [i for c in yt.calls for i in c]
    assert len(sent) == len(set(sent)) == 400  # no id was fetched twice
    assert all(len(c) <= 50 for c in yt.calls)
    assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 400
    rows = _imports(conn)
    assert all(r["attempts"] == 1 for r in rows)
    by_worker = {r["metadata"]["worker"] for r in rows}
    assert by_worker == {w1.worker_id, w2.worker_id}  # both took part


def test_replay_reparses_stored_payloads_without_calling_the_api(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 5)
    for n, (_, e) in enumerate(videos):
        yt.add(e, views=500 + n)
    for v, _ in videos:
        queue_youtube_sync(conn, v)
    settings = make_settings(tmp_path, db_url, yt.base_url)
    drain(settings, db_url)
    before = conn.execute("select music_video_id, collected_at, views_total from public.music_video_metrics"
                          " order by 1").fetchall()
    # values damaged outside any admin action are re-derived from the stored payloads ...
    conn.execute("update public.music_video_metrics set views_total = 1")
    # ... but a rolled-back row is a person's correction, and replay leaves it rolled back
    rolled_back = before[0]["music_video_id"]
    conn.execute("update public.music_video_metrics set deleted_at = now() where music_video_id = %s", (rolled_back,))
    calls = yt.call_count
    report = replay_youtube(conn, LocalStorage(tmp_path / "storage"))
    assert yt.call_count == calls
    assert (report.imports, report.counts.updated, report.counts.inserted) == (5, 4, 0)
    after = conn.execute("select music_video_id, collected_at, views_total from public.music_video_metrics"
                         " where deleted_at is null order by 1").fetchall()
    assert after == [r for r in before if r["music_video_id"] != rolled_back]
    assert conn.execute("select views_total from public.music_video_metrics where music_video_id = %s",
                        (rolled_back,)).fetchone()["views_total"] == 1


def test_vault_secret_is_used_when_no_env_key(conn, factory, yt, tmp_path, db_url):
    conn.execute("create schema vault")
    conn.execute("create table vault.decrypted_secrets (name text, decrypted_secret text)")
    conn.execute("insert into vault.decrypted_secrets values ('youtube_api_key', 'AIzaFROMVAULT')")
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e)
    queue_youtube_sync(conn, v)
    settings = make_settings(tmp_path, db_url, yt.base_url, youtube_api_key=None,
                             youtube_api_key_secret="youtube_api_key")
    drain(settings, db_url)
    assert yt.keys == ["AIzaFROMVAULT"]
    assert job_counts(conn) == {"succeeded": 1}


def test_missing_key_fails_with_a_clear_message(conn, factory, yt, tmp_path, db_url):
    (v, _e), = make_videos(conn, factory, 1)
    job = queue_youtube_sync(conn, v)
    settings = make_settings(tmp_path, db_url, yt.base_url, youtube_api_key=None)
    # a worker without the key refuses to start for YouTube: the job waits for one that has it
    with pytest.raises(ConfigError, match="MV_YOUTUBE_API_KEY"):
        drain(settings, db_url)
    row = conn.execute("select * from public.music_video_metric_imports where id = %s", (job,)).fetchone()
    assert row["status"] == "pending" and row["attempts"] == 0
    # a handler run without it all the same (built by hand) fails the job with the same message
    drain(settings, db_url, handlers=build_handlers(settings, ["youtube"]))
    row = conn.execute("select * from public.music_video_metric_imports where id = %s", (job,)).fetchone()
    assert row["status"] == "failed" and "MV_YOUTUBE_API_KEY" in row["error_message"]
    assert yt.call_count == 0


def test_queue_youtube_sync_reuses_a_live_job(conn, factory):
    (v, _e), = make_videos(conn, factory, 1)
    first = queue_youtube_sync(conn, v)
    again = queue_youtube_sync(conn, v)
    assert first == again
    assert conn.execute("select count(*) as n from public.music_video_metric_imports").fetchone()["n"] == 1


def test_queue_youtube_sync_refuses_a_video_without_a_youtube_id(conn, factory):
    (v, _e), = make_videos(conn, factory, 1, youtube=False)
    with pytest.raises(ValueError, match="no YouTube video id"):
        queue_youtube_sync(conn, v)
    assert conn.execute("select count(*) as n from public.music_video_metric_imports").fetchone()["n"] == 0


def test_a_response_that_is_not_a_video_list_fails_the_batch_and_is_kept_for_audit(conn, factory, yt, tmp_path,
                                                                                    db_url):
    (v1, e1), (v2, e2) = make_videos(conn, factory, 2)
    yt.add(e1)
    yt.add(e2)
    body = b"<html><body>Network login required</body></html>"  # e.g. a captive portal answering 200
    yt.errors.append((200, body))
    j1, j2 = queue_youtube_sync(conn, v1), queue_youtube_sync(conn, v2)
    drain(make_settings(tmp_path, db_url, yt.base_url), db_url)
    rows = {r["id"]: r for r in _imports(conn)}
    assert {rows[j1]["status"], rows[j2]["status"]} == {"failed"}
    assert yt.call_count == 1  # permanent: not retried
    ref = rows[j1]["metadata"]["raw_payload"]
    assert ref == rows[j2]["metadata"]["raw_payload"]
    assert LocalStorage(tmp_path / "storage").get(ref["bucket"], ref["path"]) == body
    assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 0
