"""The sync coordinator (spec 3.4): which sources a video syncs, enqueued as import jobs.

:func:`sync_music_video_metrics` enqueues, for one video, a release, or every
``sync_strategy = 'scheduled'`` video, one job per source the video has (:data:`SOURCE_RULES`),
all sharing a ``sync_id`` in ``metadata``. The workers run the jobs; when the last job of a sync
finishes, :mod:`workers.events` writes its ``music_video.metrics_synced`` event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

__all__ = ["SOURCE_RULES", "SyncRequest", "queue_sync", "sync_music_video_metrics"]


# Which videos have which polled source. Each is a SQL condition on ``v`` (public.music_videos).
# Broadcast jobs come from CSV uploads, never from a sync. Webhook videos are pushed, not polled.
SOURCE_RULES: dict[str, tuple[str, str | None]] = {
    # source: (condition, platform of the job row)
    "youtube": (
        "exists (select 1 from public.music_video_platform_targets as t"
        " where t.music_video_id = v.id and t.platform = 'youtube' and t.external_id is not null"
        " and t.auto_sync)",
        "youtube",
    ),
    "charts": (
        "(v.spotify_track_uri is not null or v.apple_music_id is not null or v.isrc is not null"
        " or v.kpi_chart_target is not null)",
        None,
    ),
}


@dataclass(frozen=True)
class SyncRequest:
    """The jobs one sync request produced (or reused, when a live job already existed)."""

    import_ids: list[UUID]
    created: int
    reused: int
    by_video: dict[UUID, list[dict[str, Any]]]


def _enqueue(conn: psycopg.Connection, *, where: str, params: Mapping[str, Any], sources: Sequence[str],
             trigger: str, triggered_by: UUID | None, sync_prefix: str | None,
             dedupe_prefix: str | None) -> SyncRequest:
    """One insert per source for every video matching ``where``; existing live jobs are reused."""
    created_ids: list[UUID] = []
    by_video: dict[UUID, list[dict[str, Any]]] = {}
    reused = 0
    request_id = uuid.uuid4().hex
    with conn.transaction():
        for source in sources:
            cond, platform = SOURCE_RULES[source]
            # sync_id groups one video's jobs of one request; nightly runs key it by the run date.
            sync_id_sql = ("%(sync_prefix)s || ':' || v.id::text" if sync_prefix
                           else "%(request_id)s || ':' || v.id::text")
            dedupe_sql = (f"%(dedupe_prefix)s || ':' || v.id::text || ':{source}'" if dedupe_prefix
                          else "null")
            q = f"""
                with wanted as (
                  select v.id from public.music_videos as v where ({where}) and {cond}
                ),
                ins as (
                  insert into public.music_video_metric_imports
                    (music_video_id, platform, source, triggered_by, dedupe_key, metadata)
                  select v.id, %(platform)s::public.platform_enum, %(source)s, %(triggered_by)s,
                         {dedupe_sql},
                         jsonb_build_object('trigger', %(trigger)s::text, 'sync_id', {sync_id_sql})
                  from wanted as v
                  order by v.id
                  on conflict do nothing
                  returning id, music_video_id
                )
                select w.id as music_video_id, ins.id as created_id, live.id as live_id, live.status
                from wanted as w
                left join ins on ins.music_video_id = w.id
                left join lateral (
                  select i.id, i.status::text from public.music_video_metric_imports as i
                  where i.music_video_id = w.id and i.source = %(source)s
                    and i.status in ('pending', 'processing')
                  limit 1
                ) as live on ins.id is null
            """  # conditions are module constants; values are bound
            rows = conn.execute(q, {**params, "platform": platform, "source": source,
                                    "triggered_by": triggered_by, "trigger": trigger,
                                    "sync_prefix": sync_prefix, "request_id": request_id,
                                    "dedupe_prefix": dedupe_prefix}).fetchall()
            for r in rows:
                r = r if isinstance(r, Mapping) else dict(zip(("music_video_id", "created_id", "live_id",
                                                                "status"), r, strict=True))
                entry = {"source": source}
                if r["created_id"] is not None:
                    created_ids.append(r["created_id"])
                    entry.update(import_id=r["created_id"], created=True, status="pending")
                elif r["live_id"] is not None:
                    reused += 1
                    entry.update(import_id=r["live_id"], created=False, status=r["status"])
                else:  # a dedupe key from an earlier run of the same night: already done
                    entry.update(import_id=None, created=False, status="already_enqueued")
                by_video.setdefault(r["music_video_id"], []).append(entry)
    ids = [e["import_id"] for es in by_video.values() for e in es if e["import_id"] is not None]
    return SyncRequest(import_ids=ids, created=len(created_ids), reused=reused, by_video=by_video)


def sync_music_video_metrics(conn: psycopg.Connection, music_video_id: UUID | str | None = None, *,
                             release_id: UUID | str | None = None, scheduled: bool = False,
                             sources: Sequence[str] | None = None, triggered_by: UUID | None = None,
                             trigger: str = "manual") -> SyncRequest:
    """Enqueue a sync of every source the video (or release, or all scheduled videos) has.

    Exactly one of ``music_video_id``, ``release_id`` or ``scheduled=True``. The workers run the
    jobs; follow them through ``SyncRequest.import_ids``.
    """
    chosen = [x for x in (music_video_id, release_id, scheduled or None) if x is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of music_video_id, release_id or scheduled=True")
    if music_video_id is not None:
        where, params = "v.id = %(vid)s", {"vid": UUID(str(music_video_id))}
    elif release_id is not None:
        where, params = "v.release_id = %(rid)s", {"rid": UUID(str(release_id))}
    else:
        where, params = "v.sync_strategy = 'scheduled'", {}
    return _enqueue(conn, where=where, params=params, sources=list(sources or SOURCE_RULES),
                    trigger=trigger, triggered_by=triggered_by, sync_prefix=None, dedupe_prefix=None)


def queue_sync(conn: psycopg.Connection, music_video_id: UUID | str, source: str, *,
               triggered_by: UUID | None = None) -> UUID:
    """Enqueue one job of one source for one video, as the RPC does; reuse a live one if any.

    Unlike :func:`sync_music_video_metrics` it does not check that the video has the source.
    """
    vid = UUID(str(music_video_id))
    _cond, platform = SOURCE_RULES.get(source, ("", None))
    with conn.transaction():
        row = conn.execute(
            "insert into public.music_video_metric_imports"
            " (music_video_id, platform, source, triggered_by, metadata)"
            " values (%s, %s, %s, %s, %s) on conflict do nothing returning id",
            (vid, platform, source, triggered_by,
             Jsonb({"trigger": "manual", "sync_id": f"{uuid.uuid4().hex}:{vid}"}))).fetchone()
        if row is None:
            row = conn.execute(
                "select id from public.music_video_metric_imports where music_video_id = %s and source = %s"
                " and status in ('pending', 'processing') limit 1", (vid, source)).fetchone()
    if row is None:
        raise RuntimeError("could not enqueue nor find a live job")  # raced with a finishing job
    return row["id"] if isinstance(row, Mapping) else row[0]
