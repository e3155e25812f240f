"""YouTube's own hub (PubSubHubbub / WebSub, pubsubhubbub.appspot.com) at the youtube source's path.

Google's hub does not sign per Standard Webhooks. It speaks the PubSubHubbub protocol:

* **Verification of intent**: after a subscription request (ours, with ``hub.callback`` = our
  ``/functions/v1/metrics-webhook/youtube`` and ``hub.secret`` = one of the youtube secrets of
  ``MV_WEBHOOK_SECRETS``), the hub sends ``GET ?hub.mode=subscribe&hub.topic=...&hub.challenge=...
  &hub.lease_seconds=...``. We answer 200 with the challenge as the body only for a topic we want
  (``MV_WEBHOOK_YOUTUBE_HUB_TOPICS``), 404 otherwise; an ``unsubscribe`` is confirmed only for a
  topic we no longer want; a ``denied`` notice is acknowledged (200) and logged.
* **Notifications**: ``POST`` of the Atom feed with ``X-Hub-Signature: sha1=<hex HMAC-SHA1 of the
  body, keyed with the hub.secret>`` (WebSub also allows sha256/384/512). Every youtube secret is
  tried, so a rotation keeps two valid at once, as for Standard Webhooks. There is no message id
  and no timestamp: the delivery's id is ``hub-sha256:<SHA-256 of the body>``, so the hub's retry
  of the same notification is a replay (answered with the first delivery's job) for as long as
  deliveries are kept (``MV_WEBHOOK_DELIVERY_RETENTION_SECONDS``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from workers.service.responses import ServiceProblem, problem_response
from workers.sources.webhook.parser import SOURCES, problem
from workers.telemetry import WEBHOOKS

__all__ = ["HUB_SIGNATURE", "HUB_SOURCE", "hub_delivery_id", "verify_hub_signature", "verify_intent"]

log = logging.getLogger("workers.service")

HUB_SIGNATURE = "x-hub-signature"
HUB_SOURCE = "youtube"
_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def hub_delivery_id(body: bytes) -> str:
    """The idempotency key of a hub notification (the hub sends no id): the body's SHA-256."""
    return "hub-sha256:" + hashlib.sha256(body).hexdigest()


def verify_hub_signature(secrets: list[str], body: bytes, header: str) -> str:
    """The delivery id of a notification whose ``X-Hub-Signature`` matches one of ``secrets``;
    :class:`ServiceProblem` 401 otherwise."""
    method, _, digest = header.strip().partition("=")
    algorithm = _METHODS.get(method.lower())
    if algorithm is None or not digest:
        raise ServiceProblem(401, [problem(HUB_SIGNATURE, "bad_signature", "X-Hub-Signature must be"
                                           " <method>=<hex digest> (sha1, sha256, sha384, sha512)")])
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, algorithm).hexdigest()
        if hmac.compare_digest(expected, digest.strip().lower()):
            return hub_delivery_id(body)
    raise ServiceProblem(401, [problem(HUB_SIGNATURE, "bad_signature",
                                       "no signature matches the body with this source's secret")])


async def verify_intent(request: Request) -> Response:
    """``GET /functions/v1/metrics-webhook/{source}``: the hub's verification of intent."""
    source = request.path_params["source"]
    settings = request.app.state.settings
    params = request.query_params
    mode, topic, challenge = params.get("hub.mode"), params.get("hub.topic"), params.get("hub.challenge")
    try:
        if source != HUB_SOURCE or not settings.webhook_secret_values(HUB_SOURCE):
            raise ServiceProblem(404, [problem("source", "unknown_source",
                                               f"{source[:40]!r} takes no hub subscription")])
        missing = [k for k, v in (("hub.mode", mode), ("hub.topic", topic)) if not v]
        if mode in ("subscribe", "unsubscribe") and not challenge:
            missing.append("hub.challenge")
        if missing:
            raise ServiceProblem(400, [problem(k, "required", f"the {k} parameter is required") for k in missing])
        wanted = topic in settings.webhook_youtube_hub_topics
        if mode == "denied":
            log.warning("the hub denied a subscription", extra={"topic": topic, "reason": params.get("hub.reason")})
            outcome, response = "hub_denied", PlainTextResponse("", status_code=200)
        elif (mode == "subscribe" and wanted) or (mode == "unsubscribe" and not wanted):
            log.info("hub subscription confirmed", extra={"mode": mode, "topic": topic,
                                                          "lease_seconds": params.get("hub.lease_seconds")})
            outcome, response = f"hub_{mode}", PlainTextResponse(challenge, status_code=200)
        elif mode in ("subscribe", "unsubscribe"):
            raise ServiceProblem(404, [problem("hub.topic", "unwanted_topic",
                                               f"we do not {mode} to this topic (MV_WEBHOOK_YOUTUBE_HUB_TOPICS)")])
        else:
            raise ServiceProblem(400, [problem("hub.mode", "invalid_mode",
                                               "hub.mode must be subscribe, unsubscribe or denied")])
    except ServiceProblem as exc:
        outcome, response = exc.outcome, problem_response(exc.status, exc.problems)
    WEBHOOKS.labels(source if source in SOURCES else "unknown", outcome).inc()
    return response
