"""The ``webhook`` job handler: a stored broadcast partner push -> metric samples.

The service (:mod:`workers.service.webhooks`) verified the push, resolved its video references
(``metadata.videos``: reference -> music video id) and kept the body in Storage
(``metadata.raw_payload``); this handler reads it back, parses it with the pure parser and
returns one sample per video (:func:`~workers.sources.webhook.parser.broadcast_samples`), which
the runtime upserts with every other source's samples. A missing object or a push that does not
parse fails the job (retrying cannot help); a Storage outage is retried by the runtime.
"""

from __future__ import annotations

from workers.queue.handler import Job, JobContext, JobOutcome, PerJobHandler
from workers.sources.webhook.parser import PushRejected, broadcast_samples, parse_broadcast_push
from workers.storage import StorageNotFound

__all__ = ["WebhookHandler"]


class WebhookHandler(PerJobHandler):
    """One job per push; a claim takes up to 50 (each a small JSON read from Storage)."""

    batch_size = 50

    def run_one(self, ctx: JobContext, job: Job) -> JobOutcome:
        raw = job.metadata.get("raw_payload") or {}
        bucket, path = raw.get("bucket"), raw.get("path")
        videos = job.metadata.get("videos") or {}
        if not bucket or not path or not videos or job.platform is None:
            return JobOutcome.failed(
                job,
                "the webhook job names no stored push (metadata.raw_payload, "
                "metadata.videos and the platform are required)",
            )
        try:
            body = ctx.storage.get(bucket, path)
        except StorageNotFound:
            return JobOutcome.failed(job, f"the stored push {bucket}/{path} is gone from Storage")
        try:
            push = parse_broadcast_push(body)
            samples = broadcast_samples(
                push, job.platform, videos, import_id=job.id, webhook_id=job.metadata.get("webhook_id")
            )
        except PushRejected as exc:
            return JobOutcome.failed(
                job, f"the stored push does not parse: {exc}", metadata={"problems": exc.problems[:20]}
            )
        return JobOutcome.succeeded(
            job, samples, {"samples_built": len(samples), "air_date": push.air_date.isoformat()}
        )
