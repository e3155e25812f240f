"""Chart feeds (Billboard, Spotify, Apple Music): pure parsers, matching and a fetcher."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from workers.sources.charts.apple_music import parse_apple_rss
from workers.sources.charts.billboard import global200_chart_date, parse_global200, parse_hot100
from workers.sources.charts.client import ChartFetcher
from workers.sources.charts.common import (
    APPLE_MUSIC_TOP_100,
    APPLE_MUSIC_TOP_ALBUMS,
    CHART_SOURCES,
    CHARTS_BY_ID,
    GLOBAL_200,
    HOT_100,
    SPOTIFY_GLOBAL_DAILY,
    SPOTIFY_GLOBAL_WEEKLY,
    ArtistCredit,
    ChartConflict,
    ChartEntry,
    ChartMatch,
    ChartMatcher,
    ChartMatches,
    ChartSnapshot,
    ChartSource,
    TrackedVideo,
    artist_matches,
    chart_choices,
    normalize_artist,
    normalize_title,
    spotify_track_uri,
    week_start,
)
from workers.sources.charts.spotify import parse_spotify_weekly

__all__ = [
    "APPLE_MUSIC_TOP_100",
    "APPLE_MUSIC_TOP_ALBUMS",
    "CHARTS_BY_ID",
    "CHART_SOURCES",
    "GLOBAL_200",
    "HOT_100",
    "SPOTIFY_GLOBAL_DAILY",
    "SPOTIFY_GLOBAL_WEEKLY",
    "ArtistCredit",
    "ChartConflict",
    "ChartEntry",
    "ChartFetcher",
    "ChartMatch",
    "ChartMatcher",
    "ChartMatches",
    "ChartSnapshot",
    "ChartSource",
    "TrackedVideo",
    "artist_matches",
    "chart_choices",
    "global200_chart_date",
    "normalize_artist",
    "normalize_title",
    "parse_apple_rss",
    "parse_chart",
    "parse_global200",
    "parse_hot100",
    "parse_spotify_weekly",
    "spotify_track_uri",
    "week_start",
]


def parse_chart(chart_id: str, payload: bytes | str | Mapping[str, Any], *, chart_date: date | None = None,
                filename: str | None = None) -> ChartSnapshot:
    """Dispatch a raw payload to the parser for ``chart_id`` (e.g. when replaying a stored payload)."""
    if chart_id == HOT_100:
        return parse_hot100(payload, chart_date=chart_date)
    if chart_id == GLOBAL_200:
        return parse_global200(payload, chart_date=chart_date)
    if chart_id in (SPOTIFY_GLOBAL_WEEKLY, SPOTIFY_GLOBAL_DAILY):
        if isinstance(payload, Mapping):
            raise TypeError("Spotify charts are CSV bytes or text")
        return parse_spotify_weekly(payload, chart_date=chart_date, filename=filename)
    if chart_id in (APPLE_MUSIC_TOP_100, APPLE_MUSIC_TOP_ALBUMS):
        return parse_apple_rss(payload)
    raise ValueError(f"unknown chart id {chart_id!r}; known: {sorted(CHARTS_BY_ID)}")
