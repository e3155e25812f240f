"""Running the real worker runtime in a test: in-process, until the queue is drained."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from workers.config import load_settings
from workers.queue.worker import Worker
from workers.sources.registry import build_handlers

AS_OF = datetime(2026, 8, 10, 12, 0, tzinfo=UTC)  # the default clock: a Monday after the 2026-08-08 Hot 100


def run_worker(db_url: str, settings, storage, *, sources=("charts",), clock=lambda: AS_OF,
               timeout: float = 60.0) -> Worker:
    """The real worker runtime, in-process, until the queue is drained (or ``timeout``)."""
    worker = Worker(settings, db_url, handlers=build_handlers(settings, sources), storage=storage,
                    worker_id="test-worker", concurrency=2, clock=clock)
    timer = threading.Timer(timeout, worker.stop, kwargs={"hurry": True})
    timer.start()
    try:
        worker.run(install_signals=False, exit_when_idle=True)
    finally:
        timer.cancel()
        for h in worker.handlers.values():
            close = getattr(h, "close", None)
            if close:
                close()
    return worker


def settings_for(tmp_path: Path, **overrides):
    base = dict(poll_interval=0.1, claim_batch=500, lease_seconds=30, backoff_base=0.1,
                storage_local_dir=tmp_path / "storage", log_json=False)
    return load_settings(**{**base, **overrides})
