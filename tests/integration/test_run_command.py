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

ROOT = Path(__file__).resolve().parents[2]


def test_run_migrates_starts_both_services_and_stops_cleanly_on_sigint(db_url, tmp_path):
    env = {**os.environ, "MV_DATABASE_URL": db_url, "MV_LOG_JSON": "true",
           "MV_STORAGE_LOCAL_DIR": str(tmp_path / "storage"), "MV_POLL_INTERVAL": "0.2"}
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
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(seen) + rest
    stopped = {json.loads(ln).get("msg") for ln in rest.splitlines() if ln.startswith("{")}
    assert {"worker stopped", "scheduler stopped"} <= stopped, rest
