"""A worker and the nightly scheduler side by side in one process (``python -m devtools run``).

The worker runs in the main thread (it owns SIGTERM/SIGINT: finish or release the jobs in
hand, then stop); the scheduler's APScheduler thread runs beside it and is shut down after the
worker stops. For several machines, run ``music-videos worker`` on each and ``music-videos scheduler`` anywhere
(even twice: the nightly enqueue is idempotent per run date).
"""

from __future__ import annotations

import logging

from workers.config import Settings
from workers.logs import configure_logging

__all__ = ["run_services"]

log = logging.getLogger("workers.services")


def run_services(settings: Settings, url: str) -> int:
    from workers.queue.worker import Worker
    from workers.scheduler import NightlyScheduler

    configure_logging(settings)
    scheduler = NightlyScheduler(settings, url)
    worker = Worker(settings, url)
    scheduler.start()
    try:
        return worker.run(install_signals=True)
    finally:
        scheduler.shutdown()
