"""Fault tests: real worker processes killed with -9 or SIGTERM, and a database restarted under a worker.

The worker processes are ``python -m workers.cli worker`` pointed at the test database and at the
loopback YouTube fake. The restart test runs its own throwaway cluster (never the shared one).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from devtools.localdb import LocalCluster, find_bindir
from devtools.migrate import migrate
from tests.conftest import ROOT
from tests.helpers.factory import Factory
from tests.helpers.queue_support import (
    TEST_KEY,
    FakeYouTube,
    job_counts,
    make_settings,
    make_videos,
    running_worker,
    wait_for,
)
from workers.sources.youtube.job import queue_youtube_sync
from workers.sync import sync_music_video_metrics


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


def spawn_worker(db_url: str, tmp_path: Path, base_url: str, **env: str) -> subprocess.Popen:
    e = {**os.environ, "MV_DATABASE_URL": db_url, "MV_YOUTUBE_API_KEY": TEST_KEY,
         "MV_YOUTUBE_BASE_URL": base_url, "MV_STORAGE_LOCAL_DIR": str(tmp_path / "storage"),
         "MV_POLL_INTERVAL": "0.2", "MV_LEASE_SECONDS": "1.5", "MV_BACKOFF_BASE": "0.05",
         "MV_BACKOFF_MAX": "0.2", "MV_LOG_LEVEL": "INFO", "MV_WORKER_SOURCES": '["youtube"]', **env}
    log = open(tmp_path / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "worker"], cwd=ROOT, env=e,
                            stdout=log, stderr=subprocess.STDOUT)


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.kill()
        p.wait(10)


def test_kill_9_mid_job_another_worker_finishes_after_the_lease(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 3)
    for _, e in videos:
        yt.add(e, views=1234)
    yt.gate_calls = {1}
    gate = yt
    jobs = [queue_youtube_sync(conn, v) for v, _ in videos]
    a = spawn_worker(db_url, tmp_path, yt.base_url)
    b = None
    try:
        assert gate.entered.wait(20), "worker A never called YouTube"
        assert job_counts(conn) == {"processing": 3}
        a.send_signal(signal.SIGKILL)  # kill -9 mid-job
        a.wait(10)
        gate.opened.set()
        b = spawn_worker(db_url, tmp_path, yt.base_url)
        wait_for(lambda: job_counts(conn) == {"succeeded": 3}, timeout=30)
    finally:
        _stop(a)
        if b is not None:
            b.send_signal(signal.SIGTERM)
            assert b.wait(15) == 0
    rows = conn.execute("select * from public.music_video_metric_imports where id = any(%s)", (jobs,)).fetchall()
    assert all(r["attempts"] == 2 for r in rows)  # the killed attempt counts
    assert conn.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 3
    assert conn.execute("select count(*) as n from public.music_video_metrics"
                        " group by music_video_id, platform having count(*) > 1").fetchall() == []
    assert yt.call_count == 2


def test_sigterm_mid_job_finishes_it_within_the_grace_period(conn, factory, yt, tmp_path, db_url):
    videos = make_videos(conn, factory, 2)
    for _, e in videos:
        yt.add(e)
    yt.gate_calls = {1}
    gate = yt
    for v, _ in videos:
        queue_youtube_sync(conn, v)
    p = spawn_worker(db_url, tmp_path, yt.base_url, MV_SHUTDOWN_GRACE="20")
    try:
        assert gate.entered.wait(20)
        p.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert p.poll() is None  # still finishing the job in hand
        gate.opened.set()
        assert p.wait(20) == 0
    finally:
        _stop(p)
    assert job_counts(conn) == {"succeeded": 2}


def test_sigterm_releases_a_job_that_outlives_the_grace_period(conn, factory, yt, tmp_path, db_url):
    (v, e), = make_videos(conn, factory, 1)
    yt.add(e)
    yt.gate_calls = {1}
    gate = yt
    job = queue_youtube_sync(conn, v)
    p = spawn_worker(db_url, tmp_path, yt.base_url, MV_SHUTDOWN_GRACE="0.5", MV_LEASE_SECONDS="30")
    try:
        assert gate.entered.wait(20)
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
    finally:
        gate.opened.set()
        _stop(p)
    row = conn.execute("select * from public.music_video_metric_imports where id = %s", (job,)).fetchone()
    # released, not stuck in processing, and the interrupted attempt is not counted
    assert (row["status"], row["attempts"], row["locked_by"]) == ("pending", 0, None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_cluster():
    root = Path(tempfile.mkdtemp(prefix="mv-faults-", dir="/var/tmp"))
    os.chmod(root, 0o755)
    cluster = LocalCluster(root=root, port=_free_port(), bindir=find_bindir())
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def test_database_restart_under_a_running_worker(own_cluster, yt, tmp_path, shared_fixtures):
    url = own_cluster.url()
    migrate(url, seed=False)
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as c:
        videos = make_videos(c, Factory(c), 4)
    for _, e in videos:
        yt.add(e)
    yt.delay = 1.0  # the first batch is mid-call when the database goes away
    settings = make_settings(tmp_path, url, yt.base_url, lease_seconds=30)

    def counts():
        try:
            with psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=2) as c:
                return job_counts(c)
        except psycopg.OperationalError:
            return {}

    with running_worker(settings, url) as w:
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as c:
            first = queue_youtube_sync(c, videos[0][0])
        wait_for(lambda: yt.call_count == 1)
        own_cluster.stop(mode="fast")  # kills every connection, mid-job
        time.sleep(1.5)
        own_cluster.start()
        wait_for(lambda: counts() == {"succeeded": 1}, timeout=30)  # the in-flight job's finish was retried
        yt.delay = 0
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as c:
            req = sync_music_video_metrics(c, release_id=c.execute(
                "select release_id from public.music_videos where id = %s", (videos[1][0],)).fetchone()["release_id"])
        assert req.created == 4  # the whole release again, video 0 included
        wait_for(lambda: counts() == {"succeeded": 5}, timeout=30)  # new work after the restart, via NOTIFY
        assert w.stats["finished"] == 5
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as c:
        row = c.execute("select * from public.music_video_metric_imports where id = %s", (first,)).fetchone()
        assert row["attempts"] == 1
        assert c.execute("select count(*) as n from public.music_video_metrics").fetchone()["n"] == 5
