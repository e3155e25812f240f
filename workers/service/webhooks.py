"""``POST /functions/v1/metrics-webhook/{source}``: a partner push, verified, stored, enqueued.

In order (docs/webhooks.md):

1. the source must be one we take pushes from and have a secret for (404 otherwise);
2. the body is read up to ``MV_WEBHOOK_MAX_BODY_BYTES``, refused (413) as soon as it is longer;
3. Standard Webhooks verification with the ``standardwebhooks`` library against each of the
   source's secrets (two during a rotation): the ``webhook-id`` / ``-timestamp`` / ``-signature``
   headers, the signature, and the library's timestamp window (5 minutes either way): 400 for
   missing headers, 401 for a bad signature or a stale timestamp; for ``youtube``, Google's hub's
   ``X-Hub-Signature`` instead (:mod:`workers.service.hub`, which also answers the hub's GET);
4. the body is parsed (422 with every problem);
5. the raw body goes to Storage (``music-video-raw-payloads/webhook/<source>/...``), then the
   process's batcher (:mod:`workers.service.batcher`: one statement for the pushes of the same
   window, :mod:`workers.sources.webhook.intake`) records the delivery under its unique id,
   resolves and judges the video references and enqueues: 202 with the job id. A replayed id
   answers 200 with the first delivery's job ids; an unknown video 404, a video that does not
   take pushes 422; in both cases the stored body is deleted again, so nothing of it stays.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workers.config import Settings
from workers.errors import ConfigError
from workers.queue.handler import raw_payload_path
from workers.service.batcher import IntakeBusy
from workers.service.hub import HUB_SIGNATURE, HUB_SOURCE, verify_hub_signature
from workers.service.responses import ServiceProblem, problem_response
from workers.sources.webhook.intake import refusal_of
from workers.sources.webhook.parser import SOURCES, PushRejected, parse_push_references, problem
from workers.storage import RAW_PAYLOAD_BUCKET, LocalStorage, StorageError, StorageUnavailable
from workers.telemetry import WEBHOOKS

__all__ = ["read_body", "receive", "verifiers", "verify"]

log = logging.getLogger("workers.service")

_CONTENT_TYPES = {"youtube": ("application/atom+xml", "xml")}


class _TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk; :class:`ServiceProblem` 413 as soon as it passes ``limit``."""
    too_large = ServiceProblem(413, [problem("body", "too_large", f"the body is larger than {limit} bytes")])
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def verifiers(settings: Settings) -> dict[str, list[Webhook]]:
    """One Standard Webhooks verifier per configured secret of each source, built once at start-up;
    a secret that is not ``whsec_<base64>`` stops the start with a :class:`ConfigError`."""
    out: dict[str, list[Webhook]] = {}
    for source in settings.webhook_secrets:
        try:
            out[source] = [Webhook(secret) for secret in settings.webhook_secret_values(source)]
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"MV_WEBHOOK_SECRETS[{source!r}] holds a secret that is not whsec_<base64>: "
                              f"{type(exc).__name__}") from None
    return out


def verify(hooks: list[Webhook], body: bytes, headers: Any) -> str:
    """The verified ``webhook-id``; :class:`ServiceProblem` (400 / 401) otherwise.

    Each configured secret is tried (a rotation keeps the old and the new one valid at once); the
    timestamp window is the library's, checked before any signature.
    """
    wanted = {k: headers.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    missing = [k for k, v in wanted.items() if not v]
    if missing:
        raise ServiceProblem(400, [problem(k, "missing_header", f"the {k} header is required (Standard Webhooks)")
                                   for k in missing])
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ServiceProblem(400, [problem("body", "invalid_encoding", "the body must be UTF-8")]) from None
    last = "No matching signature found"
    for hook in hooks:
        try:
            hook.verify(text, wanted, json_parse=False)
            return wanted["webhook-id"]
        except WebhookVerificationError as exc:
            last = str(exc)
            if "timestamp" in last.lower() or "Invalid Signature Headers" in last:
                break  # the same for every secret
        except (ValueError, TypeError):  # a malformed signature list ("v1" without a comma, bad base64)
            last = "malformed signature"
    if "too old" in last or "too new" in last or "Invalid Signature Headers" in last:
        raise ServiceProblem(401, [problem("webhook-timestamp", "stale_timestamp",
                                           f"the webhook-timestamp is outside the accepted window: {last}")])
    raise ServiceProblem(401, [problem("webhook-signature", "bad_signature",
                                       "no signature matches the body with this source's secret")])


async def receive(request: Request) -> Response:
    source = request.path_params["source"]
    try:
        status, body = await _receive(request, source)
        outcome = "duplicate" if body.get("duplicate") else "accepted"
        response: Response = JSONResponse(body, status_code=status)
    except ServiceProblem as exc:
        outcome = exc.outcome
        response = problem_response(exc.status, exc.problems)
    except Exception:  # a bug or an unexpected database error: the one error shape all the same
        log.exception("webhook: unexpected error", extra={"source": source})
        outcome = "error"
        response = problem_response(500, [problem("body", "internal_error",
                                                  "the push could not be processed; retry later")])
    WEBHOOKS.labels(source if source in SOURCES else "unknown", outcome).inc()
    return response


async def _receive(request: Request, source: str) -> tuple[int, dict[str, Any]]:
    settings = request.app.state.settings
    hooks = request.app.state.verifiers.get(source)
    if source not in SOURCES or not hooks:
        raise ServiceProblem(
            404,
            [
                problem(
                    "source",
                    "unknown_source",
                    f"no webhook source {source[:40]!r} is configured; known: "
                    f"{', '.join(s for s in SOURCES if settings.webhook_secret_values(s))}",
                )
            ],
        )
    body = await read_body(request, settings.webhook_max_body_bytes)
    hub_signature = request.headers.get(HUB_SIGNATURE)
    if source == HUB_SOURCE and hub_signature is not None and "webhook-signature" not in request.headers:
        # Google's hub itself (hub.py): X-Hub-Signature, the body's hash as the delivery id
        webhook_id = verify_hub_signature(settings.webhook_secret_values(source), body, hub_signature)
    else:
        webhook_id = verify(hooks, body, request.headers)
    try:
        refs = parse_push_references(source, body)
    except PushRejected as exc:
        raise ServiceProblem(422, exc.problems, "invalid_payload") from None
    try:
        return await _accept(request, source, webhook_id, body, refs)
    except IntakeBusy:
        raise ServiceProblem(503, [problem("database", "busy", "too many pushes are waiting; retry later")]) from None
    except (psycopg.OperationalError, PoolTimeout) as exc:
        log.warning("webhook: database unavailable", extra={"source": source, "error": str(exc)[:300]})
        raise ServiceProblem(
            503, [problem("database", "unavailable", "the database is unavailable; retry later")]
        ) from None


async def _run_storage(storage: Any, op: str, source: str, *args: Any) -> None:
    """A Storage call: inline for the local backend (a small file write is cheaper than a thread
    hop), in a thread for the Supabase client (synchronous HTTP); 503 / 500 when it fails."""
    call = getattr(storage, op)
    try:
        if isinstance(storage, LocalStorage):
            call(*args)
        else:
            await asyncio.to_thread(call, *args)
    except StorageUnavailable as exc:
        log.warning("webhook: storage unavailable", extra={"source": source, "error": str(exc)[:300]})
        raise ServiceProblem(503, [problem("storage", "unavailable",
                                           "the push could not be stored; retry later")]) from None
    except StorageError as exc:
        log.error("webhook: storage refused the push", extra={"source": source, "error": str(exc)[:300]})
        raise ServiceProblem(500, [problem("storage", "refused", "the push could not be stored")]) from None


async def _accept(request: Request, source: str, webhook_id: str, body: bytes,
                  refs: list[str]) -> tuple[int, dict[str, Any]]:
    """Store the body, then the process's batcher records, judges and enqueues it with the pushes
    of the same window (one statement, one commit: batcher.py, intake.py); the body is deleted
    again when the push is refused or a replay, so nothing of it stays."""
    app = request.app
    content_type, ext = _CONTENT_TYPES.get(source, ("application/json", "json"))
    path = raw_payload_path(f"webhook/{source}", ext, datetime.now(UTC))
    await _run_storage(app.state.storage, "put", source, RAW_PAYLOAD_BUCKET, path, body, content_type)
    meta = {"format": "atom" if source == "youtube" else "broadcast_json"}
    try:
        result = await app.state.batcher.accept({"source": source, "webhook_id": webhook_id, "refs": refs,
                                                 "path": path, "metadata": meta})
    except (IntakeBusy, psycopg.Error) as exc:
        # nothing committed, except perhaps when the connection broke during the commit: that
        # body stays (an unreferenced object at worst, never a job without its body)
        if isinstance(exc, IntakeBusy | PoolTimeout) or not isinstance(exc, psycopg.OperationalError):
            await _discard(app.state.storage, source, path)
        raise
    if "sqlstate" in result:
        await _discard(app.state.storage, source, path)
        raise _failed(source, result)
    ids = result["import_ids"]
    if result["outcome"] == "duplicate":
        await _discard(app.state.storage, source, path)
        return 200, {"duplicate": True, "webhook_id": webhook_id, "job_id": ids[0] if ids else None, "job_ids": ids}
    if source != "youtube":  # a YouTube sync job was notified by its insert
        app.state.pushed.set()
    return 202, {"webhook_id": webhook_id, "job_id": ids[0] if ids else None, "job_ids": ids}


# A push that lost a lock race or waited too long: the partner's retry will pass.
_RETRYABLE = {"40P01", "40001", "55P03", "57014"}


def _failed(source: str, result: dict[str, Any]) -> ServiceProblem:
    """The answer for a push the batch statement reported an error for."""
    refused = refusal_of(result["sqlstate"], result.get("message"), result.get("detail"))
    if refused is not None:
        return ServiceProblem(*refused)
    log.error("webhook: the database failed a push",
              extra={"source": source, "sqlstate": result["sqlstate"], "error": (result.get("message") or "")[:300]})
    if result["sqlstate"] in _RETRYABLE:
        return ServiceProblem(503, [problem("database", "busy", "the push could not be recorded now; retry later")])
    return ServiceProblem(500, [problem("body", "internal_error", "the push could not be processed; retry later")],
                          "error")


async def _discard(storage: Any, source: str, path: str) -> None:
    """Delete a stored body that will not be used; a failure is logged (the object is unreferenced)."""
    try:
        await _run_storage(storage, "delete", source, RAW_PAYLOAD_BUCKET, path)
    except ServiceProblem:
        log.warning("webhook: could not delete an unused raw body", extra={"source": source, "path": path})
