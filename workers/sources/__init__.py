"""External sources: pure parsers plus thin fetchers (no database code here).

* :mod:`workers.sources.youtube`: YouTube Data API ``videos.list`` statistics.
* :mod:`workers.sources.charts`: Billboard, Spotify and Apple Music charts, and matching.
* :mod:`workers.sources.broadcast`: streaming TV/broadcast viewer CSV uploads.
"""

from __future__ import annotations

from workers.sources.broadcast import (
    BroadcastRow,
    ColumnMapping,
    DayTotal,
    ParseStats,
    aggregate,
    iter_broadcast_rows,
    neutralize_csv_cell,
    write_csv,
)
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
    "BroadcastRow",
    "ChartEntry",
    "ChartFetcher",
    "ChartMatch",
    "ChartMatcher",
    "ChartSnapshot",
    "ColumnMapping",
    "DayTotal",
    "FetchedPayload",
    "ParseStats",
    "TrackedVideo",
    "VideosListResult",
    "YouTubeClient",
    "YouTubeStats",
    "aggregate",
    "fetch_youtube_metrics",
    "iter_broadcast_rows",
    "neutralize_csv_cell",
    "next_quota_reset",
    "parse_apple_rss",
    "parse_chart",
    "parse_error",
    "parse_global200",
    "parse_hot100",
    "parse_spotify_weekly",
    "parse_videos_list",
    "write_csv",
]
