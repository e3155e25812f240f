"""Run the service with uvicorn: ``music-videos service`` (and ``python -m devtools run``).

Several processes (``MV_SERVICE_WORKERS``, default 2) share one listening socket. Their
Prometheus counters are kept in prometheus-client's multiprocess mode: a fresh folder named by
``PROMETHEUS_MULTIPROC_DIR``, set here before any process imports prometheus-client, so a scrape
of any process sums them all (the queue gauges are read from the database at scrape time).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile

from workers.config import Settings

__all__ = ["run_service"]

log = logging.getLogger("workers.service")


def run_service(
    settings: Settings, *, host: str | None = None, port: int | None = None, workers: int | None = None
) -> int:
    import uvicorn

    settings.require_database_url()
    host = host or settings.service_host
    port = settings.service_port if port is None else port
    workers = workers or settings.service_workers
    own_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = tempfile.mkdtemp(prefix="mv-service-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    log.info("service starting", extra={"host": host, "port": port, "workers": workers})
    try:
        uvicorn.run(
            "workers.service.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return 0
