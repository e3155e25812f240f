"""The runtime's commands, run as an operator would: ``python -m workers.cli <command>``."""

from __future__ import annotations

import pytest

from tests.helpers.queue_support import TEST_KEY, FakeYouTube, job_counts, make_videos, mv
from workers.cli.sync import progress_line
from workers.sources.youtube.job import queue_youtube_sync


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


def test_sync_inline_waits_with_a_progress_bar(conn, factory, yt, tmp_path, db_url):
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e, views=31337)
    out = mv(db_url, tmp_path, yt.base_url, "sync", str(v), "--inline")
    assert out.returncode == 0, out.stderr
    assert "1/1 done (1 succeeded)" in out.stderr and "[####" in out.stderr
    assert f"{v}\tyoutube\t" in out.stdout
    assert conn.execute("select views_total from public.music_video_metrics").fetchone()["views_total"] == 31337


def test_sync_release_then_worker_then_replay(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 3)
    for _, e in videos:
        yt.add(e)
    release = conn.execute("select release_id from public.music_videos where id = %s",
                           (videos[0][0],)).fetchone()["release_id"]
    out = mv(db_url, tmp_path, yt.base_url, "sync", "--release", str(release))
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 3 and job_counts(conn) == {"pending": 3}
    out = mv(db_url, tmp_path, yt.base_url, "worker", "--exit-when-idle")
    assert out.returncode == 0, out.stderr
    assert job_counts(conn) == {"succeeded": 3} and yt.call_count == 1
    assert '"msg":"job succeeded"' in out.stderr and '"job_id":' in out.stderr and TEST_KEY not in out.stderr
    conn.execute("update public.music_video_metrics set views_total = 0")  # damaged, not rolled back
    out = mv(db_url, tmp_path, yt.base_url, "replay", "--all")
    assert out.returncode == 0, out.stderr
    assert "replayed 1 payload(s) for 3 import(s): 0 inserted, 3 updated" in out.stdout
    assert conn.execute("select count(*) as n from public.music_video_metrics where views_total > 0"
                        ).fetchone()["n"] == 3
    assert yt.call_count == 1


def test_enqueue_nightly_is_idempotent_per_date(conn, factory, yt, tmp_path, db_url):
    make_videos(conn, factory, 2, strategy="scheduled")
    first = mv(db_url, tmp_path, yt.base_url, "enqueue-nightly", "--date", "2026-11-24")
    second = mv(db_url, tmp_path, yt.base_url, "enqueue-nightly", "--date", "2026-11-24")
    assert first.returncode == second.returncode == 0
    assert "enqueued 2 job(s)" in first.stdout and "enqueued 0 job(s)" in second.stdout
    assert job_counts(conn) == {"pending": 2}


def test_enqueue_nightly_tells_already_enqueued_tonight_from_a_reused_live_job(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 3, strategy="scheduled")
    queue_youtube_sync(conn, videos[0][0])  # a manual job, live when the night runs
    first = mv(db_url, tmp_path, yt.base_url, "enqueue-nightly", "--date", "2026-11-24")
    assert "2026-11-24: enqueued 2 job(s); 1 reused a live job, 0 already enqueued for this night" in first.stdout
    second = mv(db_url, tmp_path, yt.base_url, "enqueue-nightly", "--date", "2026-11-24")
    # the reused manual job serves this night too (served_dedupe_keys): all three are tonight's
    assert "enqueued 0 job(s); 0 reused a live job, 3 already enqueued for this night" in second.stdout
    assert "already live" not in first.stdout + second.stdout


def test_sync_needs_one_target(db_url, tmp_path, yt):
    out = mv(db_url, tmp_path, yt.base_url, "sync")
    assert out.returncode == 2 and "give one video id" in out.stderr


def test_progress_line():
    assert progress_line(3, 4, {"succeeded": 2, "failed": 1}, 1.25, width=8) == \
        "[######..] 3/4 done (2 succeeded, 1 failed)   1.2s"
