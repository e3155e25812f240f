"""The normalized metric sample and the ONE upsert path into ``music_video_metrics``.

Every source adapter (YouTube, the chart feeds, broadcast CSVs, a replay of a stored payload)
turns what it fetched into :class:`MetricSample` objects and hands them to
:func:`upsert_samples`. Nothing else writes ``music_video_metrics``.

The row key is ``(music_video_id, platform, collected_at)`` (the unique index of spec 2.4), so
running the same import twice, a replay, or a job taken over after its worker died updates the
row in place instead of adding one. An upsert also clears ``deleted_at``: re-importing a batch
that was rolled back (spec 3.3) restores its rows. ``synced_at`` is set to now() and
``import_batch_id`` to the sample's import on every write.

Speed: one statement per call, whatever the number of samples: the columns travel as arrays
and ``unnest`` turns them into rows (one round trip, one plan; ~50k rows/s here). Samples that
share a key within one call are collapsed first, the last one winning, because ``on conflict do
update`` cannot touch the same row twice in one statement; :class:`UpsertCounts` reports them.

Call it inside the caller's transaction: the worker upserts a batch's samples in the same
transaction that marks the jobs finished, so metrics and job status commit together.

Chart positions: ``music_video_metrics`` keeps one row per (video, 'other', week), the best rank
of any chart (spec 3.2). Every chart's own position is kept in ``music_video_chart_positions``
(one row per video, chart and week), written only by :func:`upsert_chart_positions`, in the same
transaction as the samples (the runtime's finish). Why not a trigger fanning out from the metric
row: when a stored row of another chart keeps the week, the chart job writes no metric row for
that week at all, so a trigger would lose exactly the positions this table exists to keep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb

__all__ = ["PLATFORMS", "ChartPosition", "MetricSample", "UpsertCounts", "upsert_chart_positions", "upsert_samples"]

# public.platform_enum
PLATFORMS = frozenset({"youtube", "mtv", "vevo", "tiktok", "instagram", "regional_tv", "other"})

_COUNT_FIELDS = ("views_total", "likes_total", "shares_total", "comments_total", "favorites_total")


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One data point: a video's totals on one platform at one moment (or one chart week).

    ``None`` counts mean "unknown" (hidden likes, a chart that has no views) and are stored as
    null, never 0. ``collected_at`` must be timezone-aware. ``source`` is what produced it
    (``youtube``, ``billboard_hot_100``, ``broadcast:<file>`` ...); ``detail`` holds per-source
    extras (a broadcast day's per-programme breakdown, a chart match key) and must be a JSON
    object. ``import_batch_id`` is the import job that produced the sample.
    """

    music_video_id: UUID
    platform: str
    collected_at: datetime
    source: str
    views_total: int | None = None
    likes_total: int | None = None
    shares_total: int | None = None
    comments_total: int | None = None
    favorites_total: int | None = None
    chart_position: int | None = None
    external_reference: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    import_batch_id: UUID | None = None

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}")
        if self.collected_at.tzinfo is None or self.collected_at.utcoffset() is None:
            raise ValueError("collected_at must be timezone-aware")
        for name in _COUNT_FIELDS:
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative int or None, got {value!r}")
        if self.chart_position is not None and self.chart_position < 1:
            raise ValueError(f"chart_position must be >= 1, got {self.chart_position}")
        if not isinstance(self.detail, Mapping):
            raise ValueError("detail must be a mapping")

    @property
    def key(self) -> tuple[UUID, str, datetime]:
        return (self.music_video_id, self.platform, self.collected_at)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What one :func:`upsert_samples` call did. ``collapsed``: samples dropped because a later
    sample in the same call had the same key."""

    inserted: int = 0
    updated: int = 0
    collapsed: int = 0
    # import_batch_id -> (inserted, updated), for the per-job counts in the import's metadata.
    by_import: dict[UUID | None, tuple[int, int]] = field(default_factory=dict, compare=False)

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        merged = dict(self.by_import)
        for k, (i, u) in other.by_import.items():
            a, b = merged.get(k, (0, 0))
            merged[k] = (a + i, b + u)
        return UpsertCounts(self.inserted + other.inserted, self.updated + other.updated,
                            self.collapsed + other.collapsed, merged)

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "collapsed": self.collapsed}


# The one write path. xmax = 0 on the returned row means it was inserted, not updated.
_UPSERT_SQL = """
insert into public.music_video_metrics as m (
  music_video_id, platform, collected_at, source, views_total, likes_total, shares_total,
  comments_total, favorites_total, chart_position, external_reference, detail, import_batch_id,
  synced_at, deleted_at
)
select u.music_video_id, u.platform::public.platform_enum, u.collected_at, u.source, u.views_total,
       u.likes_total, u.shares_total, u.comments_total, u.favorites_total, u.chart_position,
       u.external_reference, u.detail, u.import_batch_id, now(), null
from unnest(%b::uuid[], %b::text[], %b::timestamptz[], %b::text[], %b::bigint[], %b::bigint[],
            %b::bigint[], %b::bigint[], %b::bigint[], %b::integer[], %b::text[], %b::jsonb[],
            %b::uuid[])
  as u(music_video_id, platform, collected_at, source, views_total, likes_total, shares_total,
       comments_total, favorites_total, chart_position, external_reference, detail, import_batch_id)
on conflict (music_video_id, platform, collected_at) do update
set source = excluded.source,
    views_total = excluded.views_total,
    likes_total = excluded.likes_total,
    shares_total = excluded.shares_total,
    comments_total = excluded.comments_total,
    favorites_total = excluded.favorites_total,
    chart_position = excluded.chart_position,
    external_reference = excluded.external_reference,
    detail = excluded.detail,
    import_batch_id = excluded.import_batch_id,
    synced_at = now(),
    deleted_at = null
returning (m.xmax = 0) as inserted, m.import_batch_id
"""


def upsert_samples(conn: psycopg.Connection, samples: Iterable[MetricSample]) -> UpsertCounts:
    """Insert or update ``samples`` keyed by (video, platform, collected_at), in one statement.

    Runs in the connection's current transaction (or autocommits if the connection does).
    """
    by_key: dict[tuple[UUID, str, datetime], MetricSample] = {}
    total = 0
    for s in samples:
        total += 1
        by_key.pop(s.key, None)  # keep the last sample's position too
        by_key[s.key] = s
    if not by_key:
        return UpsertCounts()
    rows = list(by_key.values())
    cols: list[list[Any]] = [
        [s.music_video_id for s in rows],
        [s.platform for s in rows],
        [s.collected_at for s in rows],
        [s.source for s in rows],
        [s.views_total for s in rows],
        [s.likes_total for s in rows],
        [s.shares_total for s in rows],
        [s.comments_total for s in rows],
        [s.favorites_total for s in rows],
        [s.chart_position for s in rows],
        [s.external_reference for s in rows],
        [Jsonb(dict(s.detail)) for s in rows],
        [s.import_batch_id for s in rows],
    ]
    by_import: dict[UUID | None, tuple[int, int]] = {}
    inserted = updated = 0
    with conn.cursor(row_factory=tuple_row) as cur:  # tuples: no dict per returned row
        cur.execute(_UPSERT_SQL, cols, binary=True)  # %b: binary arrays in, no per-element text escaping
        for flag, batch in cur.fetchall():
            i, u = by_import.get(batch, (0, 0))
            if flag:
                inserted += 1
                by_import[batch] = (i + 1, u)
            else:
                updated += 1
                by_import[batch] = (i, u + 1)
    return UpsertCounts(inserted=inserted, updated=updated, collapsed=total - len(rows), by_import=by_import)


@dataclass(frozen=True, slots=True)
class ChartPosition:
    """One chart's position of a video in one chart week (``week_start``: the week's Monday), with
    what the feed itself states (``None`` where it has no such column)."""

    music_video_id: UUID
    chart: str
    week_start: date
    rank: int
    feed_peak_rank: int | None = None
    feed_previous_rank: int | None = None
    feed_weeks_on_chart: int | None = None
    matched_by: str | None = None
    import_batch_id: UUID | None = None

    def __post_init__(self) -> None:
        if self.rank < 1:
            raise ValueError(f"rank must be >= 1, got {self.rank}")
        if self.week_start.weekday() != 0:
            raise ValueError(f"week_start must be a Monday, got {self.week_start}")

    @property
    def key(self) -> tuple[UUID, str, date]:
        return (self.music_video_id, self.chart, self.week_start)


# The one write path of music_video_chart_positions. A re-fetch replaces the week's position and
# clears deleted_at; the table's trigger keeps rolled-back positions deleted unless the write is an
# admin's correction (as for metrics). Feed values outside the table's checks are stored as null.
_POSITIONS_SQL = """
insert into public.music_video_chart_positions as p (
  music_video_id, chart, week_start, chart_rank, feed_peak_rank, feed_previous_rank,
  feed_weeks_on_chart, matched_by, import_batch_id, deleted_at
)
select u.music_video_id, u.chart, u.week_start, u.chart_rank, nullif(greatest(u.feed_peak_rank, 0), 0),
       u.feed_previous_rank, nullif(greatest(u.feed_weeks_on_chart, 0), 0), u.matched_by, u.import_batch_id, null
from unnest(%b::uuid[], %b::text[], %b::date[], %b::integer[], %b::integer[], %b::integer[], %b::integer[],
            %b::text[], %b::uuid[])
  as u(music_video_id, chart, week_start, chart_rank, feed_peak_rank, feed_previous_rank, feed_weeks_on_chart,
       matched_by, import_batch_id)
on conflict (music_video_id, chart, week_start) do update
set chart_rank = excluded.chart_rank,
    feed_peak_rank = excluded.feed_peak_rank,
    feed_previous_rank = excluded.feed_previous_rank,
    feed_weeks_on_chart = excluded.feed_weeks_on_chart,
    matched_by = excluded.matched_by,
    import_batch_id = excluded.import_batch_id,
    deleted_at = null
"""


def upsert_chart_positions(conn: psycopg.Connection, positions: Iterable[ChartPosition]) -> int:
    """Insert or update per-chart positions keyed by (video, chart, week_start), in one statement,
    in the caller's transaction. Returns the number of rows written (rolled-back ones are skipped)."""
    by_key: dict[tuple[UUID, str, date], ChartPosition] = {}
    for p in positions:
        by_key.pop(p.key, None)
        by_key[p.key] = p
    if not by_key:
        return 0
    rows = list(by_key.values())
    cols: list[list[Any]] = [
        [p.music_video_id for p in rows], [p.chart for p in rows], [p.week_start for p in rows],
        [p.rank for p in rows], [p.feed_peak_rank for p in rows], [p.feed_previous_rank for p in rows],
        [p.feed_weeks_on_chart for p in rows], [p.matched_by for p in rows], [p.import_batch_id for p in rows],
    ]
    with conn.cursor() as cur:
        cur.execute(_POSITIONS_SQL, cols, binary=True)
        return cur.rowcount
