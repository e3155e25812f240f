"""The Starlette application: routes, and the database pool and Storage client it holds.

``create_app(settings)`` builds it (tests, ``server.py``); ``app_from_env()`` is the factory
each uvicorn process calls, reading the ``MV_`` settings itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.routing import Route

from workers.config import Settings, load_settings
from workers.service import health, hub, webhooks
from workers.service.batcher import IntakeBatcher

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("workers.service")


def create_app(settings: Settings, *, storage: Any = None) -> Starlette:
    from workers.storage import make_storage

    url = settings.require_database_url()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=settings.service_db_pool_max,
            open=False,
            timeout=5.0,
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "mv-service"},
        )
        await pool.open(wait=False)
        app.state.pool = pool
        app.state.pushed = asyncio.Event()
        app.state.batcher = IntakeBatcher(pool, max_batch=settings.service_intake_batch_max,
                                          max_queue=settings.service_intake_queue_max,
                                          max_inflight=settings.service_intake_inflight)
        app.state.batcher.start()
        notifier = asyncio.create_task(_notify_workers(app))
        try:
            yield
        finally:
            notifier.cancel()
            await app.state.batcher.close()
            await pool.close()

    app = Starlette(
        routes=[
            Route("/functions/v1/metrics-webhook/{source}", webhooks.receive, methods=["POST"]),
            Route("/functions/v1/metrics-webhook/{source}", hub.verify_intent, methods=["GET"]),
            Route("/healthz", health.healthz, methods=["GET"]),
            Route("/metrics", health.metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.verifiers = webhooks.verifiers(settings)
    app.state.storage = storage if storage is not None else make_storage(settings)
    return app


async def _notify_workers(app: Starlette, every: float = 0.05) -> None:
    """One NOTIFY 'webhook' per interval in which pushes were accepted (set ``app.state.pushed``).

    The insert trigger does not notify webhook jobs (migration 20261201020300): a notifying
    transaction commits under PostgreSQL's one notification lock, which would serialize every
    push's commit. Here one notification wakes the workers for every push of the last interval.
    """
    from workers.queue.statements import CHANNEL

    while True:
        await app.state.pushed.wait()
        app.state.pushed.clear()
        try:
            async with app.state.pool.connection() as conn:
                await conn.execute("select pg_notify(%s, 'webhook')", (CHANNEL,))
        except (psycopg.Error, PoolTimeout) as exc:  # the workers' sweep finds the jobs anyway
            log.warning("could not notify the workers", extra={"error": str(exc)[:300]})
        await asyncio.sleep(every)


def app_from_env() -> Starlette:
    """The uvicorn factory (``--factory``): settings from the environment."""
    return create_app(load_settings())
