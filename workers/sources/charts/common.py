"""Shared chart types, validation, title/artist normalisation and matching (pure; the fetcher is ``client.py``).

Chart dates: every snapshot keeps the source's own ``chart_date`` and a normalised
``week_start`` = the Monday on or before ``chart_date`` (ISO week start). The team dedupes
metrics by (video, platform, week_start), so two charts of the same ISO week collapse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlsplit

from workers.errors import FeedRejected

# --------------------------------------------------------------------------- chart ids

HOT_100 = "billboard_hot_100"
GLOBAL_200 = "billboard_global_200"
SPOTIFY_GLOBAL_WEEKLY = "spotify_global_weekly"
SPOTIFY_GLOBAL_DAILY = "spotify_global_daily"
APPLE_MUSIC_TOP_100 = "apple_music_top_100"
APPLE_MUSIC_TOP_ALBUMS = "apple_music_top_albums"


@dataclass(frozen=True, slots=True)
class ChartSource:
    """One chart the project can ingest. ``source`` is the value stored in ``music_video_metrics.source``."""

    id: str
    label: str
    source: Literal["billboard", "spotify", "apple"]
    max_rank: int
    selectable: bool = True  # offered as a KPI chart target in the UI dropdown


# Labels match the seed of public.music_video_chart_sources (whose provider for Apple is "apple_music").
CHART_SOURCES: tuple[ChartSource, ...] = (
    ChartSource(HOT_100, "Billboard Hot 100", "billboard", 100),
    ChartSource(GLOBAL_200, "Billboard Global 200", "billboard", 200),
    ChartSource(SPOTIFY_GLOBAL_WEEKLY, "Spotify Weekly Top Songs Global", "spotify", 200),
    ChartSource(APPLE_MUSIC_TOP_100, "Apple Music Top 100 (US)", "apple", 200),
    # Parsed for completeness; not KPI targets (daily chart / albums, not songs).
    ChartSource(SPOTIFY_GLOBAL_DAILY, "Spotify Daily Top Songs Global", "spotify", 200, selectable=False),
    ChartSource(APPLE_MUSIC_TOP_ALBUMS, "Apple Music Top Albums (US)", "apple", 200, selectable=False),
)
CHARTS_BY_ID: Mapping[str, ChartSource] = {c.id: c for c in CHART_SOURCES}


def chart_choices() -> list[tuple[str, str]]:
    """(id, label) pairs for the UI's chart-target dropdown."""
    return [(c.id, c.label) for c in CHART_SOURCES if c.selectable]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class ChartEntry:
    """One chart row. Ranks are 1-based; ``None`` means the source does not say."""

    rank: int
    title: str
    artist: str
    external_id: str | None
    peak_rank: int | None
    previous_rank: int | None
    weeks_on_chart: int | None
    streams: int | None = None
    isrc: str | None = None


@dataclass(frozen=True, slots=True)
class ChartSnapshot:
    """A validated chart: entries sorted by rank, plus non-fatal ``warnings`` about the feed."""

    chart_id: str
    chart_date: date
    week_start: date
    entries: tuple[ChartEntry, ...]
    warnings: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        return CHARTS_BY_ID[self.chart_id].source


def week_start(day: date) -> date:
    """The Monday on or before ``day``."""
    return day - timedelta(days=day.weekday())


def reject(chart_id: str, reason: str) -> FeedRejected:
    return FeedRejected(f"{chart_id}: feed refused: {reason}", source=chart_id, reason="invalid_feed")


def as_int(value: object, *, chart_id: str, what: str, allow_none: bool = False) -> int | None:
    """A strict int from JSON/CSV: ints, or decimal strings (``"32267898"``). Booleans and floats refused."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if allow_none:
            return None
        raise reject(chart_id, f"{what} is missing")
    if isinstance(value, bool):
        raise reject(chart_id, f"{what} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise reject(chart_id, f"{what} is not an integer: {value!r}")


def clean_text(value: object, *, chart_id: str, what: str) -> str:
    """Trimmed, NFC-normalised text; empty or non-string values refuse the feed."""
    if not isinstance(value, str) or not value.strip():
        raise reject(chart_id, f"{what} is missing or not text: {value!r}")
    return unicodedata.normalize("NFC", " ".join(value.split()))


def build_snapshot(chart_id: str, chart_date: date, entries: Iterable[ChartEntry],
                   warnings: Sequence[str] = (), *, tolerate_peak_off_by_one: bool = False) -> ChartSnapshot:
    """Validate entries and build the snapshot; raises ``FeedRejected`` on anything untrustworthy.

    Refused: no entries; ranks < 1, above the chart size or duplicated; ``peak_rank`` < 1
    (the degraded 2025-07-29 Global 200 scrape writes 0); ``peak_rank`` worse than ``rank``
    or than ``previous_rank``; a debut (``weeks_on_chart`` 1) that claims a previous rank;
    ``weeks_on_chart`` < 1. ``tolerate_peak_off_by_one`` is for the 99-entry Hot 100 charts
    whose ranks the source renumbered after a skipped position (see ``billboard.py``): there,
    a peak exactly one worse than the rank becomes ``None`` with a warning instead of a refusal.
    """
    spec = CHARTS_BY_ID[chart_id]
    rows = sorted(entries, key=lambda e: e.rank)
    if not rows:
        raise reject(chart_id, "no chart entries (empty data)")
    warns = list(warnings)
    seen: set[int] = set()
    fixed: list[ChartEntry] = []
    blanked = 0
    for e in rows:
        where = f"rank {e.rank} ({e.title!r})"
        if not 1 <= e.rank <= spec.max_rank:
            raise reject(chart_id, f"{where}: rank outside 1..{spec.max_rank}")
        if e.rank in seen:
            raise reject(chart_id, f"{where}: duplicate rank")
        seen.add(e.rank)
        if e.previous_rank is not None and not 1 <= e.previous_rank <= spec.max_rank:
            raise reject(chart_id, f"{where}: previous rank {e.previous_rank} outside 1..{spec.max_rank}")
        if e.weeks_on_chart is not None and e.weeks_on_chart < 1:
            raise reject(chart_id, f"{where}: weeks_on_chart {e.weeks_on_chart} < 1")
        if e.weeks_on_chart == 1 and e.previous_rank is not None:
            raise reject(chart_id, f"{where}: a debut (1 week on chart) with previous rank {e.previous_rank}"
                                   " (degraded scrape?)")
        peak = e.peak_rank
        if peak is not None:
            if peak < 1:
                raise reject(chart_id, f"{where}: peak rank {peak} < 1 (degraded scrape?)")
            if peak > e.rank:
                if tolerate_peak_off_by_one and peak == e.rank + 1:
                    e = ChartEntry(**{**_asdict(e), "peak_rank": None})
                    blanked += 1
                else:
                    raise reject(chart_id, f"{where}: peak rank {peak} worse than this week's rank")
            elif e.previous_rank is not None and peak > e.previous_rank:
                raise reject(chart_id,
                             f"{where}: peak rank {peak} worse than previous rank {e.previous_rank}")
        fixed.append(e)
    if blanked:
        warns.append(f"peak_rank set to None on {blanked} rows where the source's peak is one worse than its "
                     "renumbered rank (99-entry chart)")
    return ChartSnapshot(chart_id=chart_id, chart_date=chart_date, week_start=week_start(chart_date),
                         entries=tuple(fixed), warnings=tuple(warns))


def _asdict(e: ChartEntry) -> dict:
    return {name: getattr(e, name) for name in e.__slots__}


# --------------------------------------------------------------------------- normalisation

_FEAT = r"(?:featuring|feat\.?|ft\.?)"
# "(feat. X)", "[with X]" inside titles; "feat. X" / "featuring X" tails inside artist strings.
_TITLE_FEAT = re.compile(rf"[\(\[]\s*(?:{_FEAT}|with)\s+([^\)\]]*)[\)\]]", re.IGNORECASE)
_TITLE_TAIL_FEAT = re.compile(rf"\s+{_FEAT}\s+(.*)$", re.IGNORECASE)
_TITLE_NOISE = re.compile(
    r"[\(\[]\s*(?:official\s+)?(?:music\s+|lyric\s+|audio\s+|hd\s+)*(?:video|audio|visualizer|lyrics?)\s*[\)\]]"
    r"|\s+-\s+from\s+.*$|[\(\[]\s*from\s+[^\)\]]*[\)\]]",
    re.IGNORECASE,
)
_ARTIST_FEAT = re.compile(rf"\s*[\(\[]?\s*\b{_FEAT}\s+", re.IGNORECASE)
# Act separators: "&", "+", ",", ";", ":" (HUNTR/X: EJAE, ...), " x ", " and ", " with ", " vs. ".
# "/" is not one: it is part of names (AC/DC, HUNTR/X).
_ARTIST_SEP = re.compile(r"\s*(?:&|\+|,|;|:)\s*|\s+(?:x|and|with|vs\.?)\s+", re.IGNORECASE)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                         "\u2014": "-", "\u00a0": " "})


def _fold(text: str) -> str:
    """Casefold, strip accents, unify quotes and dashes."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def _words(text: str) -> str:
    """Keep letters and digits only, single-spaced (``rebel-'rouser`` -> ``rebel rouser``)."""
    text = text.replace("&", " and ").replace("'", "")
    return " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())


def title_features(title: str) -> tuple[str, tuple[str, ...]]:
    """Split ``"Kiss Me More (feat. SZA)"`` into the bare title and featured-artist strings."""
    featured = [m.group(1) for m in _TITLE_FEAT.finditer(title)]
    bare = _TITLE_FEAT.sub(" ", title)
    tail = _TITLE_TAIL_FEAT.search(bare)
    if tail:
        featured.append(tail.group(1))
        bare = bare[: tail.start()]
    return " ".join(bare.split()), tuple(featured)


def normalize_title(title: str) -> str:
    """Comparable title: trimmed, casefolded, accent-free, without feat./with/from/video noise."""
    bare, _ = title_features(title)
    bare = _TITLE_NOISE.sub(" ", bare)
    return _words(_fold(bare))


@dataclass(frozen=True, slots=True)
class ArtistCredit:
    """An artist string split into normalised act names: ``main`` before feat., ``featured`` after."""

    main: tuple[str, ...]
    featured: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.main) | frozenset(self.featured)


def _split_acts(text: str) -> tuple[str, ...]:
    parts = (_words(p) for p in _ARTIST_SEP.split(_fold(text)))
    return tuple(dict.fromkeys(p for p in parts if p))


def normalize_artist(artist: str, title: str | None = None) -> ArtistCredit:
    """Split an artist credit on feat./featuring/ft. and on act separators.

    Comma acts such as "Tyler, The Creator" are split too ("tyler", "the creator"); that is safe
    because matching requires *every* piece of the tracked video's artist to be present (see
    ``artist_matches``), so "Tyler Childers" can never satisfy it. Featured artists found in
    ``title`` ("(feat. SZA)") are added to ``featured``.
    """
    pieces = _ARTIST_FEAT.split(artist, maxsplit=1)
    main = _split_acts(pieces[0].rstrip("([ "))
    featured = _split_acts(pieces[1].rstrip(")] ")) if len(pieces) > 1 else ()
    if title:
        for extra in title_features(title)[1]:
            featured += _split_acts(extra)
    return ArtistCredit(main=main, featured=tuple(dict.fromkeys(f for f in featured if f not in main)))


def artist_matches(video_artist: str, entry_artist: str, entry_title: str | None = None) -> bool:
    """True if every main act of the video's credit appears among the entry's acts (main or featured)."""
    video = normalize_artist(video_artist)
    if not video.main:
        return False
    return set(video.main) <= normalize_artist(entry_artist, entry_title).names


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class TrackedVideo:
    """A music video the project tracks, with whatever catalogue ids are known."""

    music_video_id: str
    title: str
    artist: str
    spotify_track_uri: str | None = None
    apple_music_id: str | None = None
    isrc: str | None = None


MatchedBy = Literal["spotify_uri", "apple_music_id", "isrc", "title_artist"]


@dataclass(frozen=True, slots=True)
class ChartMatch:
    music_video_id: str
    entry: ChartEntry
    matched_by: MatchedBy


@dataclass(frozen=True, slots=True)
class ChartConflict:
    """Several entries of one snapshot matched the same video; ``kept`` has the best rank."""

    music_video_id: str
    kept: ChartEntry
    dropped: tuple[ChartEntry, ...]

    def describe(self) -> str:
        others = ", ".join(f"#{e.rank} {e.title!r} by {e.artist!r}" for e in self.dropped)
        return (f"video {self.music_video_id}: kept #{self.kept.rank} {self.kept.title!r}; "
                f"also matched {others}")


class ChartMatches(list):
    """``list[ChartMatch]`` with the snapshot's ``conflicts`` attached."""

    def __init__(self, matches: Iterable[ChartMatch] = (), conflicts: Iterable[ChartConflict] = ()) -> None:
        super().__init__(matches)
        self.conflicts: list[ChartConflict] = list(conflicts)


_SPOTIFY_ID = re.compile(r"^[A-Za-z0-9]{22}$")


def spotify_track_uri(value: str | None) -> str | None:
    """Canonical ``spotify:track:<id>`` from a URI or an open.spotify.com URL; None if not one."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("spotify:track:"):
        track = value.removeprefix("spotify:track:")
    else:
        parts = urlsplit(value)
        segs = [s for s in parts.path.split("/") if s]
        if parts.hostname not in ("open.spotify.com", "play.spotify.com") or len(segs) < 2 or \
                segs[-2] != "track":
            return None
        track = segs[-1]
    return f"spotify:track:{track}" if _SPOTIFY_ID.match(track) else None


def _norm_isrc(value: str | None) -> str | None:
    return re.sub(r"[^A-Z0-9]", "", value.upper()) or None if value else None


@dataclass
class _Index:
    by_spotify: dict[str, list[TrackedVideo]] = field(default_factory=dict)
    by_apple: dict[str, list[TrackedVideo]] = field(default_factory=dict)
    by_isrc: dict[str, list[TrackedVideo]] = field(default_factory=dict)
    by_title: dict[str, list[TrackedVideo]] = field(default_factory=dict)


def _title_keys(video: TrackedVideo) -> set[str]:
    """The video's normalised title, plus the part after "Artist - " when the prefix is its artist."""
    keys = {normalize_title(video.title)}
    head, sep, tail = video.title.partition(" - ")
    if sep and tail.strip() and artist_matches(video.artist, head):
        keys.add(normalize_title(tail))
    return {k for k in keys if k}


class ChartMatcher:
    """Match chart entries to tracked videos, strongest key first.

    Order: the chart's own id (Spotify track URI for Spotify charts, Apple id for Apple
    charts), then ISRC, then normalised title + artist (``artist_matches``). If several entries
    of one snapshot match the same video, the best rank is kept and the rest are reported in
    ``conflicts``.
    """

    def __init__(self, videos: Iterable[TrackedVideo]) -> None:
        self._videos = list(videos)
        idx = _Index()
        for v in self._videos:
            if uri := spotify_track_uri(v.spotify_track_uri):
                idx.by_spotify.setdefault(uri, []).append(v)
            if v.apple_music_id:
                idx.by_apple.setdefault(v.apple_music_id.strip(), []).append(v)
            if isrc := _norm_isrc(v.isrc):
                idx.by_isrc.setdefault(isrc, []).append(v)
            for key in _title_keys(v):
                idx.by_title.setdefault(key, []).append(v)
        self._idx = idx

    def _match_entry(self, source: str, entry: ChartEntry) -> list[ChartMatch]:
        idx = self._idx
        if entry.external_id:
            if source == "spotify" and (uri := spotify_track_uri(entry.external_id)) in idx.by_spotify:
                return [ChartMatch(v.music_video_id, entry, "spotify_uri") for v in idx.by_spotify[uri]]
            if source == "apple" and entry.external_id.strip() in idx.by_apple:
                return [ChartMatch(v.music_video_id, entry, "apple_music_id")
                        for v in idx.by_apple[entry.external_id.strip()]]
        if (isrc := _norm_isrc(entry.isrc)) and isrc in idx.by_isrc:
            return [ChartMatch(v.music_video_id, entry, "isrc") for v in idx.by_isrc[isrc]]
        candidates = idx.by_title.get(normalize_title(entry.title), [])
        return [ChartMatch(v.music_video_id, entry, "title_artist") for v in candidates
                if artist_matches(v.artist, entry.artist, entry.title)]

    def match(self, snapshot: ChartSnapshot) -> ChartMatches:
        """Matches for this snapshot (one per video, best rank) with ``.conflicts``."""
        source = CHARTS_BY_ID[snapshot.chart_id].source
        best: dict[str, ChartMatch] = {}
        extra: dict[str, list[ChartEntry]] = {}
        for entry in sorted(snapshot.entries, key=lambda e: e.rank):
            for m in self._match_entry(source, entry):
                if m.music_video_id in best:  # entries are in rank order: the first one is best
                    extra.setdefault(m.music_video_id, []).append(entry)
                else:
                    best[m.music_video_id] = m
        conflicts = [ChartConflict(vid, best[vid].entry, tuple(dropped)) for vid, dropped in extra.items()]
        return ChartMatches(best.values(), conflicts)
