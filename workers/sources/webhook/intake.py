"""Accepting verified pushes: the statement the service runs, one round trip and one commit per batch.

``private.accept_metrics_webhook`` (migration 20261201020200) records one delivery under its
unique ``(source, webhook_id)`` key, resolves and judges the push's video references and enqueues
(broadcast partners: one ``webhook`` import job; YouTube: a sync of the named videos through
``private.enqueue_music_video_syncs``), and answers ``{"outcome": "accepted" | "duplicate",
"import_ids": [...]}``; a replay of an id answers ``duplicate`` with the first delivery's jobs,
whichever service process took it. A refused push raises PT404 (a reference names no video) or
PT422 (a video whose ``sync_strategy`` is not ``webhook``, or without a target on the platform)
with ``detail = {"problems": [...]}``, and leaves nothing: its delivery row rolls back with it.

``private.accept_metrics_webhooks`` (migration 20261202010000) runs it for a batch of pushes in
one statement and one transaction (the service's group commit, :mod:`workers.service.batcher`),
each push in a subtransaction of its own: per push, the answer above or ``{"sqlstate", "message",
"detail"}`` of its error, so one push's refusal never fails the others.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg

__all__ = ["ACCEPT_BATCH_SQL", "purge_deliveries", "refusal_of"]

# %s: a jsonb array of {source, webhook_id, refs, path, metadata}
ACCEPT_BATCH_SQL = "select private.accept_metrics_webhooks(%s) as results"

_STATUS = {"PT404": 404, "PT422": 422}


def refusal_of(sqlstate: str | None, message: str | None, detail: str | None
               ) -> tuple[int, list[dict[str, Any]]] | None:
    """(HTTP status, problems) of a push the database refused; None for any other error."""
    status = _STATUS.get(sqlstate or "")
    if status is None:
        return None
    try:
        problems = json.loads(detail or "{}").get("problems") or []
    except ValueError:
        problems = []
    return status, problems or [{"field": "body", "code": "refused", "message": message or ""}]



def purge_deliveries(conn: psycopg.Connection, older_than: timedelta, *, batch: int, max_batches: int) -> int:
    """Delete the deliveries received more than ``older_than`` ago (migration 20261202010100), in
    statements of at most ``batch`` rows (each its own short transaction on an autocommit
    connection), until none is left or ``max_batches`` ran; answers how many were deleted.

    The rows are the replay check of the Standard Webhooks timestamp window; the raw bodies they
    name stay in Storage (the import jobs name them too).
    """
    total = 0
    for _ in range(max_batches):
        deleted = conn.execute("select private.purge_metrics_webhook_deliveries(%s, %s)",
                               (older_than, batch)).fetchone()[0]
        total += deleted
        if deleted < batch:
            break
    return total
