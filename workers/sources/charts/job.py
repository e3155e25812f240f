"""The charts job handler (spec 3.2): weekly chart positions of tracked videos, with backfill.

A claimed batch of ``charts`` jobs (one job per video) is processed together:

1. **Plan.** Each job asks for ``backfill_weeks`` chart weeks (metadata; default 1, the latest
   week) of every configured chart (``settings.chart_locations``: chart id -> URL or path, with a
   ``{date}`` placeholder for the chart date), counted back from ``as_of`` (metadata; default
   today). Chart dates: Saturdays for the Billboard charts, Thursdays for Spotify's weekly
   chart; the Apple Music feed has no history, so it is only read for the latest week unless its
   location takes a ``{date}``.
2. **Fetch once.** The union of the batch's (chart, date) pairs is fetched once each, whatever
   the number of videos (1,000 videos x 52 weeks of the Hot 100 = 52 fetches). Every raw
   payload is kept in Storage (``ctx.store_raw``) for audit and replay.
3. **Refuse bad feeds.** The pure parsers (``workers.sources.charts``) refuse empty data,
   ``peak_rank`` 0 or worse than the rank, and dates that are not chart weeks; here a feed
   whose chart week is not the week asked for is refused too. A refused feed stores nothing;
   the jobs that needed it end ``partially_failed`` (or ``failed`` when nothing was usable)
   with the reasons in ``metadata.refused``.
4. **Match** every snapshot against all the batch's videos (``ChartMatcher``: Spotify URI, Apple
   Music id, ISRC, then normalised title + artist); the key used goes to the row's ``detail``.
5. **Deduplicate.** Chart rows are keyed like every metric by (video, platform 'other', week
   start), so all charts of one week share a row: the best rank wins. Within a snapshot the
   matcher keeps the best entry; across the batch's charts the best rank is kept; and a row
   already stored for that week from a chart *not* fetched now competes too (read before the
   samples are built): if it is at least as good, it stays and the new entry is dropped.
   Every conflict is logged in the job's ``metadata.conflicts``. A stored row of a chart that
   was fetched again is replaced by the fresh data (corrections).

Samples: ``platform='other'``, ``source`` = chart id, ``chart_position`` = rank, ``collected_at``
= the chart week's Monday (``ChartSnapshot.week_start``) at 00:00 UTC.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from workers.config import Settings
from workers.errors import ConfigError, PermanentSourceError, TransientSourceError
from workers.metrics import ChartPosition, MetricSample
from workers.queue.handler import Job, JobContext, JobOutcome
from workers.sources.charts import (
    APPLE_MUSIC_TOP_100,
    GLOBAL_200,
    HOT_100,
    SPOTIFY_GLOBAL_WEEKLY,
    ChartEntry,
    ChartFetcher,
    ChartMatcher,
    ChartSnapshot,
    TrackedVideo,
    parse_apple_rss,
    parse_global200,
    parse_hot100,
    parse_spotify_weekly,
    week_start,
)

__all__ = ["STORED_CHARTS", "ChartsHandler", "chart_dates"]

# The charts stored as metrics (public.music_video_chart_sources), in tie-break order.
STORED_CHARTS: tuple[str, ...] = (HOT_100, GLOBAL_200, SPOTIFY_GLOBAL_WEEKLY, APPLE_MUSIC_TOP_100)
# Weekday of each chart's date (Monday = 0); None: the feed carries its own date.
CHART_WEEKDAY: Mapping[str, int | None] = {HOT_100: 5, GLOBAL_200: 5, SPOTIFY_GLOBAL_WEEKLY: 3,
                                           APPLE_MUSIC_TOP_100: None}
MAX_WEEKS = 520
MAX_LOGGED = 50  # conflicts / refusals kept per job in metadata (the counts are complete)
_HAS_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def chart_dates(chart_id: str, as_of: date, weeks: int, *, dated_location: bool) -> list[date | None]:
    """The chart dates of the ``weeks`` most recent weeks of ``chart_id`` on ``as_of``, newest first.

    ``None`` stands for "the feed's current chart" (Apple's undated RSS feed: one week only).
    """
    weekday = CHART_WEEKDAY[chart_id]
    if weekday is None:
        if not dated_location:
            return [None]
        weekday = 0
    latest = as_of - timedelta(days=(as_of.weekday() - weekday) % 7)
    return [latest - timedelta(weeks=k) for k in range(weeks)]


@dataclass
class _Plan:
    job: Job
    video: dict[str, Any] | None
    charts: list[str]
    weeks: int
    as_of: date
    keys: list[tuple[str, date | None]] = field(default_factory=list)


@dataclass
class _Fetched:
    snapshot: ChartSnapshot | None = None
    refused: str | None = None
    transient: TransientSourceError | None = None
    raw: str | None = None


@dataclass(frozen=True)
class _Candidate:
    rank: int
    chart: str
    entry: ChartEntry
    matched_by: str
    snapshot: ChartSnapshot
    raw: str | None


def _int(value: Any, default: int, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(n, lo), hi)


def _date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


class ChartsHandler:
    """Charts jobs: fetch each (chart, week) once per batch, match, dedupe, return samples."""

    batch_size = 500

    @staticmethod
    def cannot_serve(settings: Settings) -> str | None:
        """Why a worker with these settings cannot run chart jobs (None: it can)."""
        if any(c in STORED_CHARTS for c in settings.chart_locations):
            return None
        return f"no chart feed configured: MV_CHART_LOCATIONS names none of {', '.join(STORED_CHARTS)}"

    def __init__(self, settings: Settings, *, fetcher: ChartFetcher | None = None) -> None:
        self.settings = settings
        self.fetcher = fetcher or ChartFetcher(timeout=settings.http_timeout)

    def close(self) -> None:
        self.fetcher.close()

    # ------------------------------------------------------------------ the batch

    def process(self, ctx: JobContext, jobs: Sequence[Job]) -> list[JobOutcome]:
        locations = {c: loc for c, loc in self.settings.chart_locations.items() if c in STORED_CHARTS}
        if not locations:
            raise ConfigError("no chart feed configured: set MV_CHART_LOCATIONS (chart id -> URL or path) for "
                              f"any of {', '.join(STORED_CHARTS)}")
        videos = self._load_videos(ctx, [j.music_video_id for j in jobs if j.music_video_id])
        today = ctx.now().astimezone(UTC).date()
        plans: list[_Plan] = []
        outcomes: list[JobOutcome] = []
        for job in jobs:
            video = videos.get(job.music_video_id) if job.music_video_id else None
            if video is None:
                outcomes.append(JobOutcome.failed(job, "music video not found (deleted?)"))
                continue
            meta = job.metadata or {}
            wanted = meta.get("charts")
            charts = [c for c in locations if not isinstance(wanted, list) or c in wanted]
            weeks = _int(meta.get("backfill_weeks"), 1, 1, MAX_WEEKS)
            as_of = _date(meta.get("as_of")) or today
            plan = _Plan(job, video, charts, weeks, as_of)
            for chart in charts:
                dated = "{date}" in locations[chart]
                plan.keys += [(chart, d) for d in chart_dates(chart, as_of, weeks, dated_location=dated)]
            plans.append(plan)

        # Fetch every (chart, date) the batch needs, once.
        needed = sorted({k for p in plans for k in p.keys}, key=lambda k: (k[0], k[1] or date.min))
        fetched: dict[tuple[str, date | None], _Fetched] = {}
        for key in needed:
            if ctx.stopping.is_set():
                break
            fetched[key] = self._fetch(ctx, key, locations[key[0]])
        if ctx.stopping.is_set() and len(fetched) < len(needed):
            return outcomes + [JobOutcome.retry(p.job, "worker stopping before the chart feeds were read")
                               for p in plans]

        # Match every usable snapshot against all the batch's videos.
        tracked = [TrackedVideo(music_video_id=str(p.video["id"]), title=p.video["title"] or "",
                                artist=p.video["artist_name"] or "", spotify_track_uri=p.video["spotify_track_uri"],
                                apple_music_id=p.video["apple_music_id"], isrc=p.video["isrc"])
                   for p in plans]
        matcher = ChartMatcher(tracked)
        # video -> week_start -> candidates (one per chart); video -> in-snapshot conflicts
        cands: dict[str, dict[date, list[_Candidate]]] = defaultdict(lambda: defaultdict(list))
        snap_conflicts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        wanted_by_video = {str(p.video["id"]): set(p.keys) for p in plans}
        for key, f in fetched.items():
            if f.snapshot is None:
                continue
            matches = matcher.match(f.snapshot)
            for m in matches:
                if key in wanted_by_video[m.music_video_id]:
                    cands[m.music_video_id][f.snapshot.week_start].append(
                        _Candidate(m.entry.rank, key[0], m.entry, m.matched_by, f.snapshot, f.raw))
            for c in matches.conflicts:
                if key in wanted_by_video[c.music_video_id]:
                    snap_conflicts[c.music_video_id].append({
                        "kind": "same_chart", "chart": key[0], "week_start": f.snapshot.week_start.isoformat(),
                        "kept_rank": c.kept.rank, "dropped_ranks": [e.rank for e in c.dropped],
                        "message": c.describe()})

        stored = self._load_stored(ctx, cands)
        fetched_charts_by_week: dict[date, set[str]] = defaultdict(set)
        for (chart, _d), f in fetched.items():
            if f.snapshot is not None:
                fetched_charts_by_week[f.snapshot.week_start].add(chart)

        for plan in plans:
            outcomes.append(self._outcome(plan, fetched, cands.get(str(plan.video["id"]), {}),
                                          snap_conflicts.get(str(plan.video["id"]), []), stored,
                                          fetched_charts_by_week))
        return outcomes

    # ------------------------------------------------------------------ steps

    @staticmethod
    def _load_videos(ctx: JobContext, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        with ctx.pool.connection() as conn:
            rows = conn.execute(
                "select id, title, artist_name, spotify_track_uri, apple_music_id, isrc, kpi_chart_target"
                " from public.music_videos where id = any(%s)", (ids,)).fetchall()
        return {r["id"]: r for r in rows}

    @staticmethod
    def _load_stored(ctx: JobContext, cands: Mapping[str, Mapping[date, list[_Candidate]]]
                     ) -> dict[tuple[str, date], dict[str, Any]]:
        """Live rows already stored for the (video, week) keys the batch may write."""
        vids = sorted({UUID(v) for v in cands})
        weeks = sorted({w for by_week in cands.values() for w in by_week})
        if not vids or not weeks:
            return {}
        with ctx.pool.connection() as conn:
            rows = conn.execute(
                "select music_video_id, collected_at, source, chart_position, id"
                " from public.music_video_metrics"
                " where music_video_id = any(%s) and platform = 'other' and collected_at = any(%s)"
                " and deleted_at is null",
                (vids, [datetime(w.year, w.month, w.day, tzinfo=UTC) for w in weeks])).fetchall()
        return {(str(r["music_video_id"]), r["collected_at"].astimezone(UTC).date()): r for r in rows}

    def _fetch(self, ctx: JobContext, key: tuple[str, date | None], location: str) -> _Fetched:
        chart, day = key
        where = location.replace("{date}", day.isoformat()) if day is not None else location
        try:
            data = self.fetcher.fetch(where)
        except TransientSourceError as exc:
            return _Fetched(transient=exc)
        except PermanentSourceError as exc:
            return _Fetched(refused=f"{chart} {day or 'current'}: {exc}")
        ext = "csv" if chart == SPOTIFY_GLOBAL_WEEKLY else "json"
        raw = ctx.store_raw("charts", data, content_type="text/csv" if ext == "csv" else "application/json",
                            ext=ext)["path"]
        try:
            snap = self._parse(chart, day, data, where)
        except PermanentSourceError as exc:
            return _Fetched(refused=f"{chart} {day or 'current'}: {exc}", raw=raw)
        return _Fetched(snapshot=snap, raw=raw)

    @staticmethod
    def _parse(chart: str, day: date | None, data: bytes, where: str) -> ChartSnapshot:
        from workers.sources.charts.common import reject

        if chart == HOT_100:
            snap = parse_hot100(data, chart_date=day)
        elif chart == GLOBAL_200:
            snap = parse_global200(data)  # its file date is a crawl date, mapped to the chart week
        elif chart == SPOTIFY_GLOBAL_WEEKLY:
            name = where.rsplit("/", 1)[-1]
            dated_name = bool(_HAS_DATE.search(name))
            snap = parse_spotify_weekly(data, filename=name, chart_date=None if dated_name else day)
            if snap.chart_id != SPOTIFY_GLOBAL_WEEKLY:
                raise reject(chart, f"{name} is a {snap.chart_id} file, not the weekly chart")
        else:
            snap = parse_apple_rss(data)
            if snap.chart_id != APPLE_MUSIC_TOP_100:
                raise reject(chart, f"the feed is {snap.chart_id}, not the top songs")
        if day is not None and snap.week_start != week_start(day):
            raise reject(chart, f"the feed is the chart of the week of {snap.week_start}, "
                                f"expected the week of {week_start(day)} (a chart dated {day})")
        return snap

    def _outcome(self, plan: _Plan, fetched: Mapping[tuple[str, date | None], _Fetched],
                 by_week: Mapping[date, list[_Candidate]], conflicts: list[dict[str, Any]],
                 stored: Mapping[tuple[str, date], Mapping[str, Any]],
                 fetched_charts_by_week: Mapping[date, set[str]]) -> JobOutcome:
        job, video = plan.job, plan.video
        vid = str(video["id"])
        refused = [fetched[k].refused for k in plan.keys if k in fetched and fetched[k].refused]
        transient = [fetched[k].transient for k in plan.keys if k in fetched and fetched[k].transient]
        if transient and not job.last_attempt:
            first = transient[0]
            hints = [t.retry_after for t in transient if t.retry_after]
            return JobOutcome.retry(job, f"{len(transient)} chart feed(s) unavailable: {first}",
                                    retry_after=max(hints) if hints else None)
        refused += [f"unavailable after {job.attempts} attempts: {t}" for t in transient]
        ok_keys = sum(1 for k in plan.keys if k in fetched and fetched[k].snapshot is not None)

        priority = {c: i for i, c in enumerate(STORED_CHARTS)}
        if video.get("kpi_chart_target") in priority:
            priority[video["kpi_chart_target"]] = -1
        samples: list[MetricSample] = []
        positions: list[ChartPosition] = []
        matched_by: Counter[str] = Counter()
        conflicts = list(conflicts)
        for week, options in sorted(by_week.items()):
            options = sorted(options, key=lambda c: (c.rank, priority[c.chart]))
            # every chart keeps its own position, whichever chart wins the week's metric row
            positions += [ChartPosition(
                music_video_id=UUID(vid), chart=o.chart, week_start=week, rank=o.rank,
                feed_peak_rank=o.entry.peak_rank, feed_previous_rank=o.entry.previous_rank,
                feed_weeks_on_chart=o.entry.weeks_on_chart, matched_by=o.matched_by,
                import_batch_id=job.id) for o in options]
            best = options[0]
            for other in options[1:]:
                conflicts.append({"kind": "other_chart", "week_start": week.isoformat(),
                                  "kept": {"chart": best.chart, "rank": best.rank},
                                  "dropped": {"chart": other.chart, "rank": other.rank}})
            old = stored.get((vid, week))
            if old is not None and old["source"] not in fetched_charts_by_week.get(week, set()):
                old_rank = old["chart_position"]
                if old_rank is None or old_rank <= best.rank:
                    conflicts.append({"kind": "stored_row", "week_start": week.isoformat(),
                                      "kept": {"chart": old["source"], "rank": old_rank, "metric_id": str(old["id"])},
                                      "dropped": {"chart": best.chart, "rank": best.rank}})
                    continue
                conflicts.append({"kind": "stored_row", "week_start": week.isoformat(),
                                  "kept": {"chart": best.chart, "rank": best.rank},
                                  "dropped": {"chart": old["source"], "rank": old_rank,
                                              "metric_id": str(old["id"])}})
            e = best.entry
            matched_by[best.matched_by] += 1
            detail = {
                "matched_by": best.matched_by,
                "chart": best.chart,
                "chart_date": best.snapshot.chart_date.isoformat(),
                "week_start": week.isoformat(),
                "title": e.title,
                "artist": e.artist,
                # what the feed claims; the chart facts are derived from stored history instead
                "feed_reported": {"peak_rank": e.peak_rank, "previous_rank": e.previous_rank,
                                  "weeks_on_chart": e.weeks_on_chart},
                "raw_payload": best.raw,
            }
            if len(options) > 1:
                detail["also_charted"] = [{"chart": o.chart, "rank": o.rank} for o in options[1:]]
            samples.append(MetricSample(
                music_video_id=UUID(vid), platform="other",
                collected_at=datetime(week.year, week.month, week.day, tzinfo=UTC),
                source=best.chart, chart_position=best.rank, external_reference=e.external_id,
                detail=detail, import_batch_id=job.id))

        metadata: dict[str, Any] = {
            "charts": plan.charts,
            "backfill_weeks": plan.weeks,
            "as_of": plan.as_of.isoformat(),
            "feeds": {"requested": len(plan.keys), "ok": ok_keys, "refused": len(refused)},
            "weeks_matched": len(samples),
            "chart_positions": len(positions),
            "matched_by": dict(matched_by),
            "conflict_count": len(conflicts),
            "conflicts": conflicts[:MAX_LOGGED],
        }
        warnings = sorted({w for k in plan.keys if k in fetched and fetched[k].snapshot
                           for w in fetched[k].snapshot.warnings})
        if warnings:
            metadata["warnings"] = warnings[:MAX_LOGGED]
        if refused:
            metadata["refused"] = refused[:MAX_LOGGED]
            if ok_keys == 0:
                return JobOutcome.failed(job, f"every chart feed was refused ({len(refused)}): {refused[0]}",
                                         metadata=metadata)
            return JobOutcome.partially_failed(
                job, f"{len(refused)} of {len(plan.keys)} chart feeds refused: {refused[0]}", samples, metadata,
                chart_positions=positions)
        return JobOutcome.succeeded(job, samples, metadata, chart_positions=positions)
