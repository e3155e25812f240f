"""The sync coordinator (spec 3.4): enqueue one import job per source a video syncs.

Which sources a video syncs, and the insert-or-reuse of their jobs, is decided in one place:
the SQL function ``private.enqueue_music_video_syncs`` (the "Sync Metrics" RPC and the nightly
scheduler call it too). The jobs of one video and request share a ``sync_id`` in ``metadata``;
when the last one finishes, :mod:`workers.events` writes its ``music_video.metrics_synced`` event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

__all__ = ["SyncRequest", "enqueue_syncs", "sync_music_video_metrics"]


@dataclass(frozen=True)
class SyncRequest:
    """The jobs one sync request produced (or reused, when a live job already existed)."""

    import_ids: list[UUID]
    created: int
    reused: int  # a live job (pending or processing) of the video and source was kept
    by_video: dict[UUID, list[dict[str, Any]]]
    already_enqueued: int = 0  # this run (dedupe prefix, e.g. tonight's nightly) enqueued it before

    def summary(self) -> str:
        """What the request did, in words an operator reads: new jobs, live jobs reused, and jobs
        this run had already enqueued (a re-run or catch-up of the same night)."""
        return (f"{self.created} new job(s), {self.reused} reused a live job, "
                f"{self.already_enqueued} already enqueued by this run")


def enqueue_syncs(conn: psycopg.Connection, *, video_id: UUID | str | None = None,
                  release_id: UUID | str | None = None, scheduled: bool = False, trigger: str,
                  dedupe_prefix: str | None = None,
                  sources: Sequence[str] | None = None) -> SyncRequest:
    """One call of ``private.enqueue_music_video_syncs`` over a video, a release or every scheduled video.

    ``scheduled`` picks every ``sync_strategy = 'scheduled'`` video and makes it a scheduled run,
    which honours the targets' ``auto_sync``; naming a video or a release is a manual request.
    """
    rows = conn.execute(
        "select e.music_video_id, e.source, e.import_id, e.outcome, e.status::text as status"
        " from private.enqueue_music_video_syncs("
        "   array(select v.id from public.music_videos as v"
        "         where v.id = %(vid)s or v.release_id = %(rid)s"
        "            or (%(scheduled)s and v.sync_strategy = 'scheduled')),"
        "   %(trigger)s, %(scheduled)s, %(prefix)s, %(sources)s) as e",
        {"vid": None if video_id is None else UUID(str(video_id)),
         "rid": None if release_id is None else UUID(str(release_id)), "scheduled": scheduled,
         "trigger": trigger, "prefix": dedupe_prefix,
         "sources": None if sources is None else list(sources)}).fetchall()
    by_video: dict[UUID, list[dict[str, Any]]] = {}
    for r in rows:
        r = r if isinstance(r, Mapping) else dict(zip(
            ("music_video_id", "source", "import_id", "outcome", "status"), r, strict=True))
        by_video.setdefault(r["music_video_id"], []).append(
            {"source": r["source"], "import_id": r["import_id"], "created": r["outcome"] == "created",
             "outcome": r["outcome"], "status": r["status"]})
    outcomes = [e["outcome"] for es in by_video.values() for e in es]
    return SyncRequest(import_ids=[e["import_id"] for es in by_video.values() for e in es],
                       created=outcomes.count("created"), reused=outcomes.count("reused"), by_video=by_video,
                       already_enqueued=outcomes.count("already_enqueued"))


def sync_music_video_metrics(conn: psycopg.Connection, music_video_id: UUID | str | None = None, *,
                             release_id: UUID | str | None = None, scheduled: bool = False,
                             sources: Sequence[str] | None = None, trigger: str = "manual") -> SyncRequest:
    """Enqueue a sync of every source the video (or release, or all scheduled videos) has.

    Exactly one of ``music_video_id``, ``release_id`` or ``scheduled=True``. The workers run the
    jobs; follow them through ``SyncRequest.import_ids``.
    """
    chosen = [x for x in (music_video_id, release_id, scheduled or None) if x is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of music_video_id, release_id or scheduled=True")
    return enqueue_syncs(conn, video_id=music_video_id, release_id=release_id, scheduled=scheduled,
                         trigger=trigger, sources=sources)
