"""Apple Marketing Tools RSS feed generator v2 (``rss.applemarketingtools.com/api/v2/...json``).

``feed.results[]`` has no rank field: the rank is the array position (1-based). ``id`` is a
string (kept as ``external_id``), ``feed.updated`` is RFC 1123 (``Mon, 10 Jan 2022 19:58:33 +0000``)
and gives the chart date (in UTC). Songs feeds become ``apple_music_top_100``; albums feeds
``apple_music_top_albums``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from workers.sources.charts.common import (
    APPLE_MUSIC_TOP_100,
    APPLE_MUSIC_TOP_ALBUMS,
    ChartEntry,
    ChartSnapshot,
    build_snapshot,
    clean_text,
    reject,
)

_KINDS = {"songs": APPLE_MUSIC_TOP_100, "albums": APPLE_MUSIC_TOP_ALBUMS}


def parse_apple_rss(payload: bytes | str | Mapping[str, Any]) -> ChartSnapshot:
    """Parse a most-played songs (or albums) feed. Raises ``FeedRejected`` on anything unexpected."""
    chart_id = APPLE_MUSIC_TOP_100
    if isinstance(payload, Mapping):
        doc = payload
    else:
        try:
            doc = json.loads(payload)
        except (ValueError, TypeError) as exc:
            raise reject(chart_id, f"not valid JSON: {exc}") from exc
    feed = doc.get("feed") if isinstance(doc, Mapping) else None
    if not isinstance(feed, Mapping):
        raise reject(chart_id, "no 'feed' object")
    results = feed.get("results")
    if not isinstance(results, list) or not results:
        raise reject(chart_id, "no chart entries (empty or missing feed.results)")

    kinds = {r.get("kind") for r in results if isinstance(r, Mapping)}
    if len(kinds) != 1 or next(iter(kinds)) not in _KINDS:
        raise reject(chart_id, f"unsupported or mixed result kinds {sorted(map(str, kinds))}")
    chart_id = _KINDS[next(iter(kinds))]

    updated = feed.get("updated")
    try:
        when = parsedate_to_datetime(str(updated))
    except (TypeError, ValueError, IndexError) as exc:
        raise reject(chart_id, f"feed.updated {updated!r} is not an RFC 1123 date") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    day = when.astimezone(UTC).date()

    entries = []
    for rank, item in enumerate(results, 1):
        if not isinstance(item, Mapping):
            raise reject(chart_id, f"results[{rank - 1}] is not an object")
        raw_id = item.get("id")
        if isinstance(raw_id, bool) or not str(raw_id).strip().isdigit():
            raise reject(chart_id, f"results[{rank - 1}].id is not a numeric id: {raw_id!r}")
        entries.append(ChartEntry(
            rank=rank,
            title=clean_text(item.get("name"), chart_id=chart_id, what=f"results[{rank - 1}].name"),
            artist=clean_text(item.get("artistName"), chart_id=chart_id,
                              what=f"results[{rank - 1}].artistName"),
            external_id=str(raw_id).strip(),
            peak_rank=None,
            previous_rank=None,
            weeks_on_chart=None,
        ))
    warnings = []
    country = feed.get("country")
    if country and str(country).lower() != "us":
        warnings.append(f"feed country is {country!r}, not 'us'")
    return build_snapshot(chart_id, day, entries, warnings)
