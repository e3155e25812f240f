"""External sources: pure parsers plus thin fetchers (no database code here).

* :mod:`workers.sources.youtube`: YouTube Data API ``videos.list`` statistics.
* :mod:`workers.sources.charts`: Billboard, Spotify and Apple Music charts, and matching.
* :mod:`workers.sources.broadcast`: TV/broadcast viewer CSV uploads (a package of its own).
"""

from __future__ import annotations

from workers.sources.charts import (
    CHART_SOURCES,
    ChartEntry,
    ChartFetcher,
    ChartMatch,
    ChartMatcher,
    ChartSnapshot,
    TrackedVideo,
    parse_apple_rss,
    parse_chart,
    parse_global200,
    parse_hot100,
    parse_spotify_weekly,
)
from workers.sources.youtube.client import FetchedPayload, YouTubeClient, fetch_youtube_metrics
from workers.sources.youtube.parser import (
    VideosListResult,
    YouTubeStats,
    next_quota_reset,
    parse_error,
    parse_videos_list,
)

__all__ = [
    "CHART_SOURCES",
    "ChartEntry",
    "ChartFetcher",
    "ChartMatch",
    "ChartMatcher",
    "ChartSnapshot",
    "FetchedPayload",
    "TrackedVideo",
    "VideosListResult",
    "YouTubeClient",
    "YouTubeStats",
    "fetch_youtube_metrics",
    "next_quota_reset",
    "parse_apple_rss",
    "parse_chart",
    "parse_error",
    "parse_global200",
    "parse_hot100",
    "parse_spotify_weekly",
    "parse_videos_list",
]
