"""Group commit of the intake: one statement and one commit for the pushes of a short window.

Each service process runs one :class:`IntakeBatcher` task. A verified, stored push is queued
(:meth:`IntakeBatcher.accept`) and its request waits for its own answer; the task takes every
push queued so far (at most ``max_batch``), runs ``private.accept_metrics_webhooks`` on them in one
round trip and one transaction, and answers each request with its own result. At most
``max_inflight`` statements run at once (``MV_SERVICE_INTAKE_INFLIGHT``, default 2: the next batch
executes while the previous one waits for its commit's WAL flush); while they run, the next
pushes queue up. The window is the round trip, no timer, so a lone push waits for nothing.

A push's refusal never fails the others (the statement answers per push). A batch whose statement
fails as a whole for another reason than the connection (a bug, which rolls everything back) is
retried push by push, so only the push that causes it fails. A lost connection or an exhausted
pool fails the batch's pushes with that error (the service answers 503; the partner retries and a
push that did commit is answered as a replay). The queue is bounded: past ``max_queue`` waiting
pushes the service answers 503 at once instead of growing latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from workers.sources.webhook.intake import ACCEPT_BATCH_SQL

__all__ = ["IntakeBatcher", "IntakeBusy"]

log = logging.getLogger("workers.service")


class IntakeBusy(Exception):
    """The process already holds ``max_queue`` pushes waiting for the database."""


class IntakeBatcher:
    def __init__(self, pool: AsyncConnectionPool, *, max_batch: int = 50, max_queue: int = 1024,
                 max_inflight: int = 2) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self._slots = asyncio.Semaphore(max_inflight)
        self._flushes: set[asyncio.Task] = set()
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future]] = asyncio.Queue(max_queue)
        self._task: asyncio.Task | None = None
        self.batches = 0  # statements run (for tests and profiling)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-intake-batcher")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        while not self._queue.empty():  # uvicorn drained the requests first; anything left is told
            _, fut = self._queue.get_nowait()
            if not fut.done():
                fut.set_exception(PoolTimeout("the service is stopping"))

    async def accept(self, push: dict[str, Any]) -> dict[str, Any]:
        """The database's answer for one push ``{source, webhook_id, refs, path, metadata}``:
        ``{outcome, import_ids}`` or ``{sqlstate, message, detail}``; raises what failed the batch."""
        fut = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait((push, fut))
        except asyncio.QueueFull:
            raise IntakeBusy from None
        return await fut

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()  # at most max_inflight statements at once
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            task = asyncio.create_task(self._flush_then_release(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush_then_release(self, batch: list[tuple[dict[str, Any], asyncio.Future]]) -> None:
        try:
            await self._flush(batch)
        finally:
            self._slots.release()

    async def _flush(self, batch: list[tuple[dict[str, Any], asyncio.Future]]) -> None:
        try:
            results = await self._statement([push for push, _ in batch])
        except (psycopg.OperationalError, PoolTimeout) as exc:
            for _, fut in batch:
                _settle(fut, exc=exc)
            return
        except psycopg.Error as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc=exc)
                return
            log.warning("webhook batch failed as a whole; retrying its pushes one by one",
                        extra={"pushes": len(batch), "error": str(exc)[:300]})
            for item in batch:
                await self._flush([item])
            return
        except Exception as exc:  # a bug: every waiting request gets it, the task lives on
            log.exception("webhook batch: unexpected error")
            for _, fut in batch:
                _settle(fut, exc=exc)
            return
        for (_, fut), result in zip(batch, results, strict=True):
            _settle(fut, result=result)

    async def _statement(self, pushes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(ACCEPT_BATCH_SQL, (Jsonb(pushes),))
            row = await cur.fetchone()
        self.batches += 1
        return row["results"]


def _settle(fut: asyncio.Future, *, result: Any = None, exc: BaseException | None = None) -> None:
    if fut.done():  # the request went away (client disconnect); its push was handled all the same
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
