"""Moodboard content checks (source ``moodboard_check``): is the uploaded file really an image?

The bucket's limits (``music-video-moodboards``: PNG/JPEG, 10 MB) trust the content type and
size the client declares. A trigger on ``music_video_moodboards`` (migration
20261130190000) enqueues one job per new row or new ``storage_path``; this handler reads the
object through Storage and checks

* the signature: PNG ``89 50 4E 47 0D 0A 1A 0A`` or JPEG ``FF D8 FF`` (whatever the name says);
* the real size: at most :data:`MAX_BYTES` (10 MB). Reading stops one byte past the limit, so a
  500 MB upload costs 10 MB of reading, not 500.

A file that fails is deleted from Storage and the row is marked ``check_status = 'rejected'``
with ``check_error`` saying why, which the owner reads on the row; a good file is marked
``passed``. The job itself succeeds either way (the check ran); its metadata holds the verdict.
A row whose file is not uploaded yet is retried (the app may insert the row first), and after
the last attempt rejected as "no file". A Storage outage retries the job.
"""

from __future__ import annotations

from typing import Any

from workers.queue.handler import Job, JobContext, JobOutcome, PerJobHandler
from workers.storage import StorageNotFound, StorageUnavailable

__all__ = ["BUCKET", "MAX_BYTES", "MoodboardCheckHandler", "inspect_image"]

BUCKET = "music-video-moodboards"
MAX_BYTES = 10 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
NOT_UPLOADED_RETRY_S = 15.0


def inspect_image(chunks: Any, *, max_bytes: int = MAX_BYTES) -> tuple[str | None, int]:
    """(reason the file is refused or None, bytes read) for a stream of the object's chunks."""
    head = b""
    size = 0
    try:
        for chunk in chunks:
            if len(head) < len(PNG):
                head += chunk[: len(PNG) - len(head)]
            size += len(chunk)
            if size > max_bytes:
                return (f"the file is larger than {max_bytes // (1024 * 1024)} MB; "
                        "moodboard images can be at most 10 MB"), size
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # stop a streamed download early
    if size == 0:
        return "the file is empty", 0
    if not (head.startswith(PNG) or head.startswith(JPEG)):
        shown = " ".join(f"{b:02X}" for b in head[:8])
        return f"not a PNG or JPEG image (the file starts with the bytes {shown})", size
    return None, size


class MoodboardCheckHandler(PerJobHandler):
    """Checks uploaded moodboard files; see the module docstring."""

    batch_size = 10

    def run_one(self, ctx: JobContext, job: Job) -> JobOutcome:
        moodboard_id = job.metadata.get("moodboard_id")
        with ctx.pool.connection() as conn:
            row = conn.execute("select id, storage_path from public.music_video_moodboards where id = %s",
                               (moodboard_id,)).fetchone()
        if row is None:
            return JobOutcome.succeeded(job, metadata={"verdict": "gone", "note": "the moodboard row was deleted"})
        path = row["storage_path"]
        try:
            reason, size = inspect_image(ctx.storage.open_stream(BUCKET, path))
        except StorageNotFound:
            if not job.last_attempt:
                return JobOutcome.retry(job, f"no file uploaded yet at {BUCKET}/{path}; checking again later",
                                        retry_after=NOT_UPLOADED_RETRY_S * job.attempts)
            return self._verdict(ctx, job, path, "rejected",
                                 "no file was uploaded for this moodboard image", None, delete=False)
        except StorageUnavailable as exc:
            return JobOutcome.retry(job, str(exc))
        if reason is None:
            return self._verdict(ctx, job, path, "passed", None, size, delete=False)
        return self._verdict(ctx, job, path, "rejected", reason, size, delete=True)

    def _verdict(self, ctx: JobContext, job: Job, path: str, status: str, reason: str | None,
                 size: int | None, *, delete: bool) -> JobOutcome:
        if delete:
            try:
                ctx.storage.delete(BUCKET, path)
            except StorageUnavailable as exc:
                return JobOutcome.retry(job, f"could not delete the refused file: {exc}")
        with ctx.pool.connection() as conn:
            # Only if the row still names this file: a new path has its own check queued.
            conn.execute("update public.music_video_moodboards set check_status = %s, check_error = %s,"
                         " checked_at = now() where id = %s and storage_path = %s",
                         (status, reason, job.metadata.get("moodboard_id"), path))
        if status == "rejected":
            ctx.log.warning("moodboard file rejected", extra={"job": str(job.id), "path": path, "reason": reason})
        meta = {"verdict": status, "moodboard_path": path, "bytes_read": size, "deleted": delete}
        if reason:
            meta["reason"] = reason
        return JobOutcome.succeeded(job, metadata=meta)
