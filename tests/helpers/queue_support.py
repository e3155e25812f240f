"""Helpers for the queue, YouTube, scheduler and fault tests (no tests here).

* :class:`FakeYouTube`: ``videos.list`` on a pytest-httpserver, answering with REAL items from
  ``tests/fixtures/external/youtube`` (ids and counts changed per test) and the REAL error
  bodies with their real HTTP statuses.
* :func:`make_videos`: a release with N videos and their YouTube targets, in bulk.
* :func:`running_worker`: a real :class:`workers.queue.Worker` in a thread, stopped at exit.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from werkzeug import Request, Response

from workers.config import Settings, load_settings
from workers.queue.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = "AIzaTESTKEY-not-real-0123456789abcdefghij"


def error_fixture(shared: Path, name: str) -> tuple[int, bytes]:
    """(HTTP status, body) of a real error fixture; the status is in its file name."""
    path = shared / "youtube" / name
    return int(name.split("_")[1]), path.read_bytes()


def error_fixture_names(shared: Path) -> list[str]:
    return sorted(p.name for p in (shared / "youtube").glob("error_*.json"))


class FakeYouTube:
    """``GET /youtube/v3/videos?part=statistics&id=...`` like YouTube answers it."""

    def __init__(self, httpserver: Any, shared: Path) -> None:
        doc = json.loads((shared / "youtube" / "videos_list_chart_mostPopular_US_2023-11_first10of50.json")
                         .read_text())
        self.template_doc = doc
        self.templates = doc["items"]
        self.shared = shared
        self.stats: dict[str, dict[str, str]] = {}  # id -> statistics (strings, keys may be missing)
        self.errors: list[tuple[int, bytes]] = []  # served first, one per call
        self.always: tuple[int, bytes] | None = None
        # key -> calls it may still make; at 0 the key is answered with the real quotaExceeded body
        self.key_quota: dict[str, int] = {}
        self.calls: list[list[str]] = []
        self.keys: list[str] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        # Calls (1-based) that block until ``opened`` is set, to catch a worker mid-job.
        self.gate_calls: set[int] = set()
        self.entered = threading.Event()
        self.opened = threading.Event()
        httpserver.expect_request("/youtube/v3/videos", method="GET").respond_with_handler(self._handle)
        self.base_url = httpserver.url_for("/youtube/v3")

    def add(self, video_id: str, *, views: int = 1000, likes: int | None = 10, comments: int | None = 3,
            favorites: int | None = 0) -> None:
        st = {"viewCount": str(views)}
        if likes is not None:
            st["likeCount"] = str(likes)
        if favorites is not None:
            st["favoriteCount"] = str(favorites)
        if comments is not None:
            st["commentCount"] = str(comments)
        self.stats[video_id] = st

    def fail_next(self, name: str, times: int = 1) -> None:
        for _ in range(times):
            self.errors.append(error_fixture(self.shared, name))

    def fail_always(self, name: str) -> None:
        self.always = error_fixture(self.shared, name)

    def _handle(self, request: Request) -> Response:
        ids = [i for i in request.args.get("id", "").split(",") if i]
        with self.lock:
            self.calls.append(ids)
            self.keys.append(request.args.get("key", ""))
            key = request.args.get("key", "")
            if self.key_quota.get(key, 1) <= 0:
                err = error_fixture(self.shared, "error_403_quotaExceeded.json")
            else:
                err = self.errors.pop(0) if self.errors else self.always
                if key in self.key_quota:
                    self.key_quota[key] -= 1
            n = len(self.calls)
        if n in self.gate_calls:
            self.entered.set()
            self.opened.wait(30)
        if self.delay:
            time.sleep(self.delay)
        if err is not None:
            return Response(err[1], status=err[0], content_type="application/json; charset=UTF-8")
        parts = set(request.args.get("part", "").split(","))
        items = []
        for n, vid in enumerate(ids):
            if vid not in self.stats:
                continue  # unknown, deleted or private: silently left out, like YouTube
            template = self.templates[n % len(self.templates)]
            # only the requested parts come back, in the real item's key order
            item = {k: copy.deepcopy(v) for k, v in template.items() if k in ("kind", "etag", "id") or k in parts}
            item["id"] = vid
            item["statistics"] = dict(self.stats[vid])
            items.append(item)
        body = {"kind": "youtube#videoListResponse", "etag": self.template_doc["etag"], "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}
        return Response(json.dumps(body), status=200, content_type="application/json; charset=UTF-8")

    @property
    def call_count(self) -> int:
        return len(self.calls)


def yt_id(n: int) -> str:
    """A valid 11-character YouTube id, distinct per n."""
    return f"t{n:010d}"


def make_videos(conn: psycopg.Connection, factory: Any, n: int, *, strategy: str = "manual",
                youtube: bool = True, start: int = 0, auto_sync: bool = True) -> list[tuple[UUID, str]]:
    """A release with ``n`` videos (and YouTube targets); returns [(video id, youtube id)]."""
    owner = factory.user()
    release = factory.release(owner)
    rows = conn.execute(
        "insert into public.music_videos (release_id, title, sync_strategy)"
        " select %s, 'Video ' || g, %s::public.sync_strategy_enum from generate_series(1, %s) as g"
        " returning id", (release, strategy, n)).fetchall()
    vids = [r["id"] for r in rows]
    ids = [yt_id(start + i) for i in range(n)]
    if youtube:
        conn.execute(
            "insert into public.music_video_platform_targets (music_video_id, platform, external_id, auto_sync)"
            " select v, 'youtube', e, %s from unnest(%s::uuid[], %s::text[]) as u(v, e)",
            (auto_sync, vids, ids))
    return list(zip(vids, ids, strict=True))


def quota_day_ends(conn: psycopg.Connection) -> None:
    """YouTube's quota day is over: the source pause ends and today's spent and set-aside keys are yesterday's."""
    conn.execute("update private.worker_source_pauses set paused_until = now() - interval '1 second'")
    conn.execute("update private.youtube_quota_usage set quota_day = quota_day - 1")


def make_settings(tmp_path: Path, db_url: str, youtube_base: str = "http://127.0.0.1:9/youtube/v3",
                  **over: Any) -> Settings:
    values = dict(database_url=db_url, youtube_api_key=TEST_KEY, youtube_base_url=youtube_base,
                  storage_local_dir=tmp_path / "storage", raw_spool_dir=tmp_path / "raw-spool",
                  poll_interval=0.1, lease_seconds=5.0,
                  backoff_base=0.05, backoff_max=0.2, shutdown_grace=5.0, http_timeout=5.0,
                  worker_concurrency=4, log_json=True)
    values.update(over)
    # No chart feed here unless the test gives one: a worker refuses a source it cannot serve,
    # so it is told to skip charts (as an operator's worker without MV_CHART_LOCATIONS must be).
    values.setdefault("worker_skip_sources", [] if values.get("chart_locations") else ["charts"])
    return load_settings(**values)




def drain(settings: Settings, url: str, **kw: Any) -> Worker:
    """Run one worker in this thread until nothing is due or in hand."""
    w = Worker(settings, url, **kw)
    w.run(install_signals=False, exit_when_idle=True)
    return w


@contextmanager
def running_worker(settings: Settings, url: str, **kw: Any) -> Iterator[Worker]:
    w = Worker(settings, url, **kw)
    t = threading.Thread(target=w.run, kwargs={"install_signals": False}, daemon=True)
    t.start()
    try:
        yield w
    finally:
        w.stop()
        t.join(30)
        assert not t.is_alive(), "worker did not stop"


def wait_for(pred: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def job_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {r["status"]: r["n"] for r in conn.execute(
        "select status::text, count(*) as n from public.music_video_metric_imports group by 1")}


def mv(db_url, tmp_path, yt_base, *args, timeout=60):
    """The runtime command line in a subprocess, as an operator runs it, against the fake YouTube."""
    env = {**os.environ, "MV_DATABASE_URL": db_url, "MV_YOUTUBE_API_KEY": TEST_KEY, "MV_YOUTUBE_BASE_URL": yt_base,
           "MV_STORAGE_LOCAL_DIR": str(tmp_path / "storage"), "MV_POLL_INTERVAL": "0.1",
           "MV_WORKER_SOURCES": '["youtube"]', "MV_LOG_LEVEL": "INFO"}
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
