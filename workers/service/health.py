"""``GET /healthz`` (database reachable, queue lag) and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

import logging

import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workers.telemetry import QUEUE_SQL, queue_lag, scrape_registry

__all__ = ["healthz", "metrics"]

log = logging.getLogger("workers.service")


async def _queue_rows(request: Request) -> list[dict]:
    async with request.app.state.pool.connection() as conn:
        cur = await conn.execute(QUEUE_SQL)
        return await cur.fetchall()


async def healthz(request: Request) -> Response:
    """200 with the queue's lag when the database answers; 503 when it does not."""
    try:
        rows = await _queue_rows(request)
    except (psycopg.Error, PoolTimeout) as exc:
        log.warning("healthz: database unreachable", extra={"error": str(exc)[:300]})
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "unreachable",
                "problems": [
                    {
                        "field": "database",
                        "code": "unreachable",
                        "message": f"the database does not answer: {str(exc)[:200]}",
                    }
                ],
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "queue": queue_lag(rows)})


async def metrics(request: Request) -> Response:
    """The counters of every service process and the queue gauges read from the database now."""
    try:
        rows = await _queue_rows(request)
    except (psycopg.Error, PoolTimeout) as exc:
        log.warning("metrics: queue state not read", extra={"error": str(exc)[:300]})
        rows = None
    return Response(generate_latest(scrape_registry(rows)), media_type=CONTENT_TYPE_LATEST)
