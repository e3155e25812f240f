"""`python -m devtools run` (what ./scripts/run ends in): migrate, start the worker and the scheduler,
stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers.queue_support import wait_for
from tests.helpers.webhooks import free_port

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> httpx.Response | None:
    try:
        r = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    return r if r.status_code == 200 else None


def test_run_migrates_starts_both_services_and_stops_cleanly_on_sigint(db_url, tmp_path):
    service_port, metrics_port = free_port(), free_port()
    env = {**os.environ, "MV_DATABASE_URL": db_url, "MV_LOG_JSON": "true",
           "MV_STORAGE_LOCAL_DIR": str(tmp_path / "storage"), "MV_POLL_INTERVAL": "0.2",
           "MV_SERVICE_PORT": str(service_port), "MV_WORKER_METRICS_PORT": str(metrics_port)}
    proc = subprocess.Popen([sys.executable, "-m", "devtools", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            msgs = {json.loads(ln).get("msg") for ln in seen if ln.startswith("{")}
            if {"worker started", "scheduler started"} <= msgs:
                break
        msgs = {json.loads(ln).get("msg") for ln in seen if ln.startswith("{")}
        assert {"worker started", "scheduler started"} <= msgs, "".join(seen)
        assert any(ln.startswith("database ready at") for ln in seen), "".join(seen)
        # where each listens, and how to stop
        assert any(ln.startswith(f"service    http://127.0.0.1:{service_port}") for ln in seen), "".join(seen)
        assert any(f"http://127.0.0.1:{metrics_port}/metrics" in ln for ln in seen), "".join(seen)
        assert any(ln.startswith("stop all:  Ctrl-C") for ln in seen), "".join(seen)
        health = wait_for(lambda: _get(f"http://127.0.0.1:{service_port}/healthz"))
        assert health.json()["database"] == "ok"
        assert "mv_jobs_finished_total" in _get(f"http://127.0.0.1:{metrics_port}/metrics").text
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(seen) + rest
    stopped = {json.loads(ln).get("msg") for ln in rest.splitlines() if ln.startswith("{")}
    assert {"worker stopped", "scheduler stopped"} <= stopped, rest


def test_run_hands_the_services_the_database_and_the_checkouts_storage(db_url, monkeypatch):
    import workers.services
    from devtools import cli as devcli
    from devtools.paths import PROJECT_ROOT

    seen = {}

    def fake_run_services(settings, url):
        seen.update(settings=settings, url=url, env=os.environ.get("MV_DATABASE_URL"))
        return 0

    monkeypatch.setattr(workers.services, "run_services", fake_run_services)
    monkeypatch.setenv("MV_DATABASE_URL", db_url)
    monkeypatch.delenv("MV_STORAGE_LOCAL_DIR", raising=False)
    assert devcli.main(["run"]) == 0
    assert seen["url"] == seen["env"] == seen["settings"].database_url == db_url
    assert seen["settings"].storage_local_dir == PROJECT_ROOT / ".local" / "storage"
