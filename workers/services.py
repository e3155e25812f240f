"""The worker, the nightly scheduler and the HTTP service side by side (``python -m devtools run``).

The worker runs in the main thread (it owns SIGTERM/SIGINT: finish or release the jobs in
hand, then stop); the scheduler's APScheduler thread runs beside it and is shut down after the
worker stops; the HTTP service (partner webhooks, /healthz, /metrics: ``music-videos service``,
uvicorn with its own processes) runs as a child process, stopped with the worker. For several
machines, run ``music-videos worker`` on each, ``music-videos service`` behind the load balancer
and ``music-videos scheduler`` anywhere (even twice: the nightly enqueue is idempotent per run date).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from workers.config import Settings
from workers.logs import configure_logging

__all__ = ["run_services"]

log = logging.getLogger("workers.services")


def run_services(settings: Settings, url: str, *, service: bool = True) -> int:
    from workers.queue.worker import Worker
    from workers.scheduler import NightlyScheduler

    configure_logging(settings)
    scheduler = NightlyScheduler(settings, url)
    worker = Worker(settings, url)
    http = _start_service(url) if service else None
    scheduler.start()
    _say_where(settings, http)
    try:
        return worker.run(install_signals=True)
    finally:
        scheduler.shutdown()
        if http is not None:
            _stop_service(http)


def _start_service(url: str) -> subprocess.Popen:
    """``music-videos service`` as a child process, with the same settings and database."""
    return subprocess.Popen([sys.executable, "-m", "workers", "service"], env={**os.environ, "MV_DATABASE_URL": url})


def _stop_service(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _say_where(settings: Settings, http: subprocess.Popen | None) -> None:
    lines = []
    if http is not None:
        base = f"http://{settings.service_host}:{settings.service_port}"
        lines.append(f"service    {base}  (POST /functions/v1/metrics-webhook/{{source}}, GET /healthz, GET /metrics;"
                     f" {settings.service_workers} processes, pid {http.pid})")
    metrics = (f"http://{settings.service_host}:{settings.worker_metrics_port}/metrics"
               if settings.worker_metrics_port is not None else "no metrics port (MV_WORKER_METRICS_PORT)")
    skipped = f"; skips {', '.join(settings.worker_skip_sources)}" if settings.worker_skip_sources else ""
    lines.append(f"worker     {metrics}{skipped}")
    lines.append(f"scheduler  nightly at '{settings.sync_cron}' ({settings.sync_timezone})")
    lines.append(f"stop all:  Ctrl-C, or kill -INT {os.getpid()}")
    print("\n".join(lines), flush=True)
