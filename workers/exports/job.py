"""Export jobs (issue "Analytics a release manager can trust", section 5): the app's request_music_video_export.

A job of source ``export`` names its release and format in metadata (``release_id``, ``format``,
``requested_by``; ``music_video_id`` is null). The handler renders the release's analytics report
with the CLI's own code (:func:`workers.reports.analytics.export_release`) **as the requesting
user** (a PostgREST-like request with their JWT claims, so RLS decides what the file contains,
exactly as the app would see it; a job without a requester, enqueued by the service role, renders
as the service role), stores it in the private ``music-video-exports`` bucket under
``<release_id>/<job_id>.<ext>`` and describes the file in the job's metadata under ``output``
(``bucket``, ``object_path``, ``content_type``, ``size_bytes``), beside ``videos`` and
``generated_at``. (Top-level ``bucket``/``path`` keys are reserved for the files an import
*reads*, which the database checks.) The release owner
reads the object under storage RLS (20261130180100) and the app signs a URL for it.

A job's ``metadata.kind`` picks the renderer: ``analytics`` (absent on older jobs) renders the
release's report; ``shotlist`` (from ``request_music_video_shotlist_export``, 20261130220200) renders
the shot list of ``metadata.music_video_id`` with :func:`workers.reports.shotlist.export_shotlist`,
into the same bucket and path scheme (the release folder of the video), and records ``shots``
instead of ``videos``.

A requester who lost access to the release or video (or one that is gone) fails the job; a
storage outage is retried with the runtime's backoff.
"""

from __future__ import annotations

import os
import tempfile
from uuid import UUID

import psycopg

from workers.db import jwt_claims, postgrest_request
from workers.errors import TransientSourceError
from workers.queue.handler import Job, JobContext, JobOutcome, PerJobHandler
from workers.reports.analytics import FORMATS, export_release
from workers.reports.shotlist import export_shotlist

__all__ = ["EXPORT_BUCKET", "ExportHandler", "export_object_path"]

EXPORT_BUCKET = "music-video-exports"


def export_object_path(release_id: UUID | str, job_id: UUID | str, fmt: str) -> str:
    return f"{release_id}/{job_id}.{fmt}"


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


class ExportHandler(PerJobHandler):
    """Renders one export per job (a PDF of 200 videos takes seconds: no batching gain)."""

    def run_one(self, ctx: JobContext, job: Job) -> JobOutcome:
        meta = job.metadata or {}
        release_id, fmt = _uuid(meta.get("release_id")), meta.get("format")
        kind, video_id = meta.get("kind") or "analytics", _uuid(meta.get("music_video_id"))
        if release_id is None or fmt not in FORMATS:
            return JobOutcome.failed(job, "an export job needs metadata.release_id and a format of csv or pdf")
        if kind not in ("analytics", "shotlist") or (kind == "shotlist" and video_id is None):
            return JobOutcome.failed(job, f"unknown export kind {kind!r}, or a shot list without music_video_id")
        requester = _uuid(meta.get("requested_by")) or job.triggered_by
        claims = jwt_claims(sub=requester) if requester else jwt_claims(role="service_role")
        path = export_object_path(release_id, job.id, fmt)
        fd, tmp = tempfile.mkstemp(prefix="mv-export-", suffix=f".{fmt}")
        os.close(fd)
        try:
            with ctx.pool.connection() as conn, postgrest_request(conn, claims):
                if kind == "shotlist":
                    allowed = conn.execute("select private.can_access_video(%s) as ok", (video_id,)).fetchone()
                else:
                    allowed = conn.execute("select private.can_access_release(%s) as ok", (release_id,)).fetchone()
                if not allowed or not next(iter(dict(allowed).values())):
                    return JobOutcome.failed(job, f"{'music video' if kind == 'shotlist' else 'release'} not found,"
                                             " or the requester no longer has access to it")
                if kind == "shotlist":
                    counted = {"shots": len(export_shotlist(conn, video_id, fmt, tmp, generated_at=ctx.now()).shots)}
                else:
                    counted = {"videos": len(export_release(conn, release_id, fmt, tmp,
                                                            generated_at=ctx.now()).rows)}
            with open(tmp, "rb") as fh:
                data = fh.read()
            ctx.storage.put(EXPORT_BUCKET, path, data, FORMATS[fmt])
        except TransientSourceError as exc:  # StorageUnavailable: outage, 5xx, 429
            return JobOutcome.retry(job, f"export upload failed: {exc}")
        except psycopg.OperationalError as exc:
            return JobOutcome.retry(job, f"database unavailable while exporting: {exc}")
        finally:
            os.unlink(tmp)
        return JobOutcome.succeeded(job, metadata={
            "output": {"bucket": EXPORT_BUCKET, "object_path": path, "content_type": FORMATS[fmt],
                       "size_bytes": len(data)},
            **counted, "generated_at": ctx.now().isoformat()})
