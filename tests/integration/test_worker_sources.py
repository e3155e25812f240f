"""A worker refuses to start for a source it cannot serve (no YouTube key, no chart feed) unless told
to skip it; a skipped source's jobs are never claimed; the worker's Prometheus endpoint."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.helpers.queue_support import make_settings, make_videos, running_worker, wait_for
from workers.cli import main
from workers.config import load_settings
from workers.errors import ConfigError
from workers.queue.worker import Worker
from workers.sources.registry import HANDLERS, build_serving_handlers
from workers.sync import enqueue_syncs


def _bare(**over):
    base = {"youtube_api_key": None, "youtube_api_key_secret": None, "chart_locations": {}}
    return load_settings(_env_file=None, **{**base, **over})


def test_a_worker_without_the_youtube_key_or_a_chart_feed_refuses_to_start():
    with pytest.raises(ConfigError) as err:
        build_serving_handlers(_bare())
    message = str(err.value)
    assert "cannot serve charts, youtube" in message and "MV_YOUTUBE_API_KEY" in message
    assert "MV_CHART_LOCATIONS" in message and "--skip-sources charts,youtube" in message
    with pytest.raises(ConfigError, match="cannot serve youtube"):
        build_serving_handlers(_bare(worker_sources=["youtube", "webhook"]))


def test_told_to_skip_them_it_serves_the_rest():
    handlers = build_serving_handlers(_bare(worker_skip_sources=["youtube", "charts"]))
    assert set(handlers) == set(HANDLERS) - {"youtube", "charts"}
    with pytest.raises(ConfigError, match="unknown source"):
        build_serving_handlers(_bare(worker_skip_sources=["youtub"]))


def test_a_configured_source_is_served():
    handlers = build_serving_handlers(_bare(youtube_api_key="k", chart_locations={"billboard_hot_100": "x/{date}"},
                                            worker_sources=["youtube", "charts"]))
    assert set(handlers) == {"youtube", "charts"}
    # a Vault secret's name is enough: the key is read with the first batch
    assert set(build_serving_handlers(_bare(youtube_api_key_secret="yt", worker_sources=["youtube"]))) == {"youtube"}
    # several keys (MV_YOUTUBE_API_KEYS) and no single key: served, rotated on quotaExceeded
    keys = [{"name": "a", "key": "k1", "daily_units": 5000}, {"name": "b", "key": "k2", "daily_units": 5000}]
    assert set(build_serving_handlers(_bare(youtube_api_keys=keys, worker_sources=["youtube"]))) == {"youtube"}


def test_the_command_refuses_and_names_the_option(monkeypatch, capsys, db_url):
    for k in ("MV_YOUTUBE_API_KEY", "MV_YOUTUBE_API_KEY_SECRET", "MV_CHART_LOCATIONS", "MV_WORKER_SOURCES",
              "MV_WORKER_SKIP_SOURCES"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MV_DATABASE_URL", db_url)
    monkeypatch.chdir("/")  # no .env file
    assert main(["worker", "--exit-when-idle"]) == 2
    assert "--skip-sources charts,youtube" in capsys.readouterr().err
    assert main(["worker", "--exit-when-idle", "--skip-sources", "youtube,charts"]) == 0


def test_a_skipped_source_is_never_claimed_and_the_worker_serves_metrics(conn, factory, db_url, tmp_path):
    [(vid, _yt)] = make_videos(conn, factory, 1)
    req = enqueue_syncs(conn, video_id=vid, trigger="manual", sources=["youtube"])
    [job_id] = req.import_ids
    settings = make_settings(tmp_path, db_url, youtube_api_key=None, worker_skip_sources=["youtube", "charts"],
                             worker_metrics_port=0)
    with running_worker(settings, db_url) as w:
        assert "youtube" not in w.handlers
        port = wait_for(lambda: w.metrics_port)
        time.sleep(5 * settings.poll_interval)  # several claim rounds and sweeps
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    row = conn.execute("select status::text as status, attempts, locked_by from public.music_video_metric_imports"
                       " where id = %s", (job_id,)).fetchone()
    assert row == {"status": "pending", "attempts": 0, "locked_by": None}
    assert 'mv_jobs{source="youtube",status="pending"} 1.0' in text
    assert 'mv_queue_depth{source="youtube"} 1.0' in text
    assert "mv_jobs_finished_total" in text and "mv_quota_pauses_total" in text


def test_worker_default_handlers_follow_the_settings(db_url, tmp_path):
    settings = make_settings(tmp_path, db_url, worker_sources=["youtube", "webhook"])
    assert set(Worker(settings, db_url).handlers) == {"youtube", "webhook"}
