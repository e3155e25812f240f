"""The release timeline's stored lanes: the nightly rebuild for the new day.

``music_video_release_timeline`` answers from ``private.music_video_timeline_lanes`` (each video's
items pre-serialised, migration 20261202000010) when a lane is stored for the requested day, and
builds it live otherwise. Writes keep the lanes current (triggers, flushed at commit); what changes
by itself is "today": a lane's ``overdue`` flags are exact for a range of days, until the next
pending item falls due. :func:`refresh_timeline_lanes` rebuilds the lanes whose range has ended
(or that are missing) for ``as_of``, in short steps of ``batch`` videos in id order, one
transaction each, so it never holds many locks or a long snapshot. Idempotent: a second run on
the same day rebuilds nothing. The scheduler runs it just after midnight UTC and on start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

__all__ = ["LaneRefresh", "refresh_timeline_lanes"]

STEP = "select last_id, scanned, refreshed from private.refresh_music_video_timeline_step(%s, %s, %s, %s)"


@dataclass(frozen=True)
class LaneRefresh:
    as_of: date | None
    videos_seen: int
    lanes_rebuilt: int
    steps: int

    def summary(self) -> str:
        return (
            f"{self.lanes_rebuilt} timeline lane(s) rebuilt for {self.as_of or 'today (UTC)'}"
            f" over {self.videos_seen} video(s) in {self.steps} step(s)"
        )


def refresh_timeline_lanes(
    conn: psycopg.Connection, as_of: date | None = None, *, batch: int = 1000, force: bool = False
) -> LaneRefresh:
    """Rebuild the stored timeline lanes that are missing or not valid on ``as_of`` (default: today,
    UTC, as the RPC's default); ``force``: every lane (after writes made with triggers off).

    ``conn`` must be in autocommit mode: each step commits on its own.
    """
    if not conn.autocommit:
        raise ValueError("refresh_timeline_lanes needs an autocommit connection (one transaction per step)")
    after = None
    seen = rebuilt = steps = 0
    while True:
        row = conn.execute(STEP, (as_of, after, batch, force)).fetchone()
        last_id, scanned, refreshed = (
            (row["last_id"], row["scanned"], row["refreshed"]) if isinstance(row, dict) else row
        )
        if last_id is None:
            break
        steps += 1
        seen += scanned
        rebuilt += refreshed
        after = last_id
    return LaneRefresh(as_of, seen, rebuilt, steps)
