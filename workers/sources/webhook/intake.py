"""Accepting a verified push: the call the service makes, one statement and one round trip.

``private.accept_metrics_webhook`` (migration 20261201020200) records the delivery under its
unique ``(source, webhook_id)`` key, resolves and judges the push's video references and enqueues
(broadcast partners: one ``webhook`` import job; YouTube: a sync of the named videos through
``private.enqueue_music_video_syncs``), in one implicit transaction. It answers
``{"outcome": "accepted" | "duplicate", "import_ids": [...]}``; a replay of an id answers
``duplicate`` with the first delivery's jobs, whichever service process took it. A refused push
raises PT404 (a reference names no video) or PT422 (a video whose ``sync_strategy`` is not
``webhook``, or without a target on the platform) with ``detail = {"problems": [...]}``, and
leaves nothing: its delivery row rolls back with it.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

__all__ = ["ACCEPT_SQL", "refusal"]

ACCEPT_SQL = ("select private.accept_metrics_webhook(%(source)s, %(webhook_id)s, %(refs)s, %(path)s,"
              " %(metadata)s) as result")

_STATUS = {"PT404": 404, "PT422": 422}


def refusal(exc: psycopg.Error) -> tuple[int, list[dict[str, Any]]] | None:
    """(HTTP status, problems) of a push the database refused; None for any other error."""
    status = _STATUS.get(exc.sqlstate or "")
    if status is None:
        return None
    try:
        problems = json.loads(exc.diag.message_detail or "{}").get("problems") or []
    except ValueError:
        problems = []
    return status, problems or [{"field": "body", "code": "refused", "message": exc.diag.message_primary or ""}]
