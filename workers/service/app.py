"""The Starlette application: routes, and the database pool and Storage client it holds.

``create_app(settings)`` builds it (tests, ``server.py``); ``app_from_env()`` is the factory
each uvicorn process calls, reading the ``MV_`` settings itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.routing import Route

from workers.config import Settings, load_settings
from workers.service import health, webhooks

__all__ = ["app_from_env", "create_app"]


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
        try:
            yield
        finally:
            await pool.close()

    app = Starlette(
        routes=[
            Route("/functions/v1/metrics-webhook/{source}", webhooks.receive, methods=["POST"]),
            Route("/healthz", health.healthz, methods=["GET"]),
            Route("/metrics", health.metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.verifiers = webhooks.verifiers(settings)
    app.state.storage = storage if storage is not None else make_storage(settings)
    return app


def app_from_env() -> Starlette:
    """The uvicorn factory (``--factory``): settings from the environment."""
    return create_app(load_settings())
