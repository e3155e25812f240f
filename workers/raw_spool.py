"""A local spool for raw payloads that were fetched while Storage was down.

A fetched payload cost quota (YouTube: one ``videos.list`` call per batch of 50). If Storage
fails when the payload is kept (:class:`~workers.storage.StorageUnavailable`), retrying the batch
would call the API again, and an outage longer than the retries would fail the jobs for good. So
the handler keeps the payload here instead (``MV_RAW_SPOOL_DIR``, a folder on the worker's disk),
stores the metrics as usual, and records on each job::

    metadata.raw_payload = {"bucket": ..., "path": ..., "pending": true}

The path is the one the payload will have in Storage. When the worker is idle it calls
:meth:`RawSpool.flush`: each spooled payload is uploaded to that path (an upsert, so a second
upload of the same file is harmless), ``pending`` is removed from the jobs that name it, and the
spooled copy is deleted. While Storage is still down the flush stops at the first failure and
the files wait for the next one. A payload whose jobs are not (yet) visible -- another worker
sharing the folder has not committed them -- is uploaded but kept for :data:`ORPHAN_AFTER_S`,
so its jobs are updated by a later flush; after that it is deleted (it is in Storage).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from workers.storage import RAW_PAYLOAD_BUCKET, LocalStorage, StorageNotFound, StorageUnavailable

__all__ = ["ORPHAN_AFTER_S", "FlushReport", "RawSpool", "pending_ref"]

log = logging.getLogger("workers.raw_spool")

ORPHAN_AFTER_S = 600.0
_CONTENT_TYPES = {"json": "application/json", "csv": "text/csv"}


@dataclass
class FlushReport:
    stored: int = 0  # payloads uploaded and removed from the spool
    waiting: int = 0  # payloads still in the spool (Storage down, or jobs not visible yet)
    error: str | None = None  # the Storage failure that stopped the flush


class RawSpool:
    """Payloads waiting for Storage, as files under ``root/<bucket>/<path>``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._files = LocalStorage(self.root)

    def keep(self, bucket: str, path: str, data: bytes) -> None:
        """Write the payload atomically; an OSError (disk full) is a StorageUnavailable."""
        self._files.put(bucket, path, data)

    def pending(self) -> list[tuple[str, str]]:
        return [(RAW_PAYLOAD_BUCKET, p) for p in self._files.list(RAW_PAYLOAD_BUCKET)]

    def flush(self, storage: Any, conn: psycopg.Connection, *, now: float | None = None) -> FlushReport:
        """Upload every spooled payload, mark its jobs stored and delete it (see the module docstring)."""
        report = FlushReport()
        items = self.pending()
        for i, (bucket, path) in enumerate(items):
            try:
                data = self._files.get(bucket, path)
            except StorageNotFound:  # flushed meanwhile by another worker sharing the folder
                continue
            ext = path.rsplit(".", 1)[-1]
            try:
                storage.put(bucket, path, data, _CONTENT_TYPES.get(ext, "application/octet-stream"))
            except StorageUnavailable as exc:
                report.waiting += len(items) - i
                report.error = str(exc)
                break
            updated = conn.execute(
                "update public.music_video_metric_imports as j"
                " set metadata = jsonb_set(j.metadata, '{raw_payload}', (j.metadata -> 'raw_payload') - 'pending')"
                "   || jsonb_build_object('raw_payload_stored_at', now())"
                " where j.metadata -> 'raw_payload' ->> 'path' = %s and j.metadata -> 'raw_payload' ->> 'bucket' = %s"
                "   and j.metadata -> 'raw_payload' ? 'pending'",
                (path, bucket)).rowcount
            file = self._files._file(bucket, path)
            age = (now if now is not None else time.time()) - file.stat().st_mtime
            if updated or age >= ORPHAN_AFTER_S:
                file.unlink(missing_ok=True)
                report.stored += 1
            else:
                report.waiting += 1
        if report.stored or report.error:
            log.info("raw payload spool flushed", extra={"stored": report.stored, "waiting": report.waiting,
                                                          "error": report.error})
        return report


def pending_ref(bucket: str, path: str) -> dict[str, Any]:
    """The job metadata of a spooled payload."""
    return {"bucket": bucket, "path": path, "pending": True}

