"""Storage cleanup jobs (issue "The planning workspace, complete", section 5): files of deleted videos.

Deleting a draft (``delete_music_video``, or a DELETE on the table, or a release's cascade) enqueues,
in the same transaction, one job of source ``storage_cleanup`` naming the video's moodboard files
(``metadata.storage_bucket`` = ``music-video-moodboards``, ``metadata.object_paths``;
``music_video_id`` is null because the video is gone). The database never deletes
``storage.objects`` rows itself: Supabase documents against it, since the bytes live in Storage's
own backend. This handler removes each path through the Storage API (:meth:`Storage.delete`), which
removes the object and its row. Deletes are idempotent (an absent object is fine), so a retried job
finishes what the previous attempt started; an outage is retried with the runtime's backoff.
"""

from __future__ import annotations

from workers.errors import TransientSourceError
from workers.queue.handler import Job, JobContext, JobOutcome, PerJobHandler
from workers.storage import StorageError, _check_key

__all__ = ["CLEANUP_BUCKETS", "StorageCleanupHandler"]

# The only bucket a cleanup job may touch (the database's check says the same).
CLEANUP_BUCKETS = ("music-video-moodboards",)


class StorageCleanupHandler(PerJobHandler):
    """Deletes the objects one job names, one job at a time (a job is one video's folder)."""

    def run_one(self, ctx: JobContext, job: Job) -> JobOutcome:
        meta = job.metadata or {}
        bucket, paths = meta.get("storage_bucket"), meta.get("object_paths")
        if bucket not in CLEANUP_BUCKETS or not isinstance(paths, list) or not paths \
                or not all(isinstance(p, str) for p in paths):
            return JobOutcome.failed(job, "a storage_cleanup job needs storage_bucket music-video-moodboards"
                                          " and a list of object_paths")
        bad = []
        for p in paths:
            try:
                _check_key(bucket, p)
            except StorageError:
                bad.append(p)
        removed = 0
        try:
            for p in paths:
                if p not in bad and ctx.storage.delete(bucket, p):
                    removed += 1
        except TransientSourceError as exc:  # StorageUnavailable: outage, 5xx, 429
            return JobOutcome.retry(job, f"storage delete failed: {exc}")
        if bad:
            return JobOutcome.failed(job, f"refused {len(bad)} unsafe object path(s); deleted the others")
        return JobOutcome.succeeded(job, metadata={"removed": removed, "paths": len(paths)})
