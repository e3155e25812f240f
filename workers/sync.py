"""The sync coordinator (spec 3.4): enqueue one import job per source a video syncs.

Which sources a video syncs, and the insert-or-reuse of their jobs, is decided in one place:
the SQL function ``private.enqueue_music_video_syncs`` (the "Sync Metrics" RPC and the nightly
scheduler call it too). The jobs of one video and request share a ``sync_id`` in ``metadata``;
when the last one finishes, :mod:`workers.events` writes its ``music_video.metrics_synced`` event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

__all__ = ["NightlyPlan", "SyncRequest", "enqueue_syncs", "plan_nightly", "sync_music_video_metrics"]


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


@dataclass(frozen=True)
class NightlyPlan:
    """A night's plan (a row of ``private.music_video_sync_plans``) and the jobs its run enqueued.

    ``units_left`` is what the YouTube budget had left when the night was first planned;
    ``planned_by_reason`` counts the planned videos per reason (recent_release, near_kpi_target,
    round_robin), ``skipped_by_reason`` the skipped ones; ``round_robin_nights`` is how many nights
    the rotation takes to reach every other video at this rate (None: never, no units left for it).
    """

    run_date: date
    quota_day: date
    runs: int
    daily_budget: int
    units_left: int
    scheduled_videos: int
    calls_needed: int
    planned_videos: int
    calls_planned: int
    planned_by_reason: dict[str, int]
    skipped_videos: int
    skipped_by_reason: dict[str, int]
    round_robin_nights: int | None
    weekly_rotation_met: bool
    jobs_created: int
    jobs_reused: int
    jobs_already_enqueued: int

    @property
    def created(self) -> int:
        return self.jobs_created

    @property
    def reused(self) -> int:
        return self.jobs_reused

    @property
    def already_enqueued(self) -> int:
        return self.jobs_already_enqueued

    def summary(self) -> str:
        """The plan and the run in an operator's words (the scheduler logs and prints it)."""
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped_by_reason.items())) or "none"
        rotation = ("every video every night" if self.round_robin_nights == 0 else
                    "the rest get no call" if self.round_robin_nights is None else
                    f"the rest come round every {self.round_robin_nights} night(s)"
                    + ("" if self.weekly_rotation_met else ", NOT within a week"))
        return (f"planned {self.planned_videos} of {self.scheduled_videos} YouTube video(s) in "
                f"{self.calls_planned} of {self.calls_needed} call(s) needed ({self.units_left} unit(s) left "
                f"today); skipped {self.skipped_videos} ({skipped}); {rotation}; {self.jobs_created} new job(s), "
                f"{self.jobs_reused} reused a live job, {self.jobs_already_enqueued} already enqueued by this run")

    def log_fields(self) -> dict[str, Any]:
        return {f.name: (v.isoformat() if isinstance(v := getattr(self, f.name), date) else v)
                for f in fields(self)}


def plan_nightly(conn: psycopg.Connection, run_date: date, *, daily_units: int, key_budgets: Mapping[str, int],
                 sources: Sequence[str] | None = None) -> NightlyPlan:
    """Plan and enqueue one night in one call of ``private.plan_music_video_nightly``.

    The YouTube videos that fit today's units left (``daily_units`` over every key, each key
    within its own budget in ``key_budgets``) get a job, chosen as the migration describes; the
    rest are counted per reason on the plan row. Idempotent per ``run_date``.
    """
    row = conn.cursor(row_factory=dict_row).execute(
        "select p.* from private.plan_music_video_nightly(%(d)s, %(units)s, %(keys)s::jsonb, %(sources)s) as p",
        {"d": run_date, "units": daily_units, "keys": json.dumps(dict(key_budgets)),
         "sources": None if sources is None else list(sources)}).fetchone()
    return NightlyPlan(**{f.name: row[f.name] for f in fields(NightlyPlan)})
