"""Spotify chart CSVs: today's charts.spotify.com export and the legacy spotifycharts.com files.

Today's export (``regional-global-weekly-YYYY-MM-DD.csv``, date = chart-week Thursday)::

    rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams

with a UTF-8 BOM, quoted text and quoted ``streams``, ``previous_rank`` -1 for new entries
*and re-entries* (-> ``None``), doubled quotes inside fields and commas inside artist names.

Legacy (before 2022): an optional disclaimer line, then ``Position,"Track Name",Artist,Streams,URL``;
the track URL becomes ``spotify:track:<id>``. Weekly names carry a range
(``...-weekly-2020-01-17--2020-01-24.csv``: chart date = the end date); ``...-daily-latest.csv``
has no date, so ``chart_date`` is required.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

from workers.sources.charts.common import (
    SPOTIFY_GLOBAL_DAILY,
    SPOTIFY_GLOBAL_WEEKLY,
    ChartEntry,
    ChartSnapshot,
    as_int,
    build_snapshot,
    clean_text,
    reject,
    spotify_track_uri,
)

MODERN_HEADER = ("rank", "uri", "artist_names", "track_name", "source", "peak_rank", "previous_rank",
                 "weeks_on_chart", "streams")
LEGACY_HEADER = ("position", "track name", "artist", "streams", "url")
_THURSDAY = 3
_NAME = re.compile(
    r"regional-(?P<region>[a-z]{2,6})-(?P<period>weekly|daily)-"
    r"(?:(?P<start>\d{4}-\d{2}-\d{2})--(?P<end>\d{4}-\d{2}-\d{2})|(?P<day>\d{4}-\d{2}-\d{2})|(?P<latest>latest))",
    re.IGNORECASE,
)


def _decode(data: bytes | str, chart_id: str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise reject(chart_id, f"not UTF-8 at byte {exc.start}") from exc
    return data.removeprefix("\ufeff")


def _name_info(filename: str | None) -> tuple[str | None, date | None, bool]:
    """(period, date, legacy_range) from a Spotify chart file name."""
    if not filename:
        return None, None, False
    m = _NAME.search(filename.rsplit("/", 1)[-1])
    if not m:
        return None, None, False
    if m["region"].lower() != "global":
        raise reject(SPOTIFY_GLOBAL_WEEKLY, f"only the global chart is supported, got region {m['region']!r}")
    period = m["period"].lower()
    try:
        if m["end"]:
            start, end = date.fromisoformat(m["start"]), date.fromisoformat(m["end"])
            if (end - start).days != 7:
                raise reject(SPOTIFY_GLOBAL_WEEKLY, f"file name range {start}--{end} is not one week")
            return period, end, True
        return period, (date.fromisoformat(m["day"]) if m["day"] else None), False
    except ValueError as exc:
        raise reject(SPOTIFY_GLOBAL_WEEKLY, f"bad date in file name {filename!r}") from exc


def parse_spotify_weekly(data: bytes | str, *, chart_date: date | None = None, filename: str | None = None,
                         ) -> ChartSnapshot:
    """Parse a Spotify chart CSV (either format). The date comes from ``chart_date`` or ``filename``.

    A ``daily`` file name gives chart id ``spotify_global_daily``; otherwise ``spotify_global_weekly``,
    whose dates must be Thursdays for today's export. Raises ``FeedRejected`` on any bad row.
    """
    period, name_date, legacy_range = _name_info(filename)
    chart_id = SPOTIFY_GLOBAL_DAILY if period == "daily" else SPOTIFY_GLOBAL_WEEKLY
    if chart_date and name_date and chart_date != name_date:
        raise reject(chart_id, f"chart_date {chart_date} disagrees with the file name's {name_date}")
    day = chart_date or name_date
    if day is None:
        raise reject(chart_id,
                     "no chart date: pass chart_date (file names like *-daily-latest.csv carry none)")

    rows = _records(_decode(data, chart_id), chart_id)
    header: tuple[str, ...] | None = None
    warnings: list[str] = []
    for line, row in rows:
        cells = tuple(c.strip().casefold() for c in row)
        if cells[: len(MODERN_HEADER)] == MODERN_HEADER or cells[: len(LEGACY_HEADER)] == LEGACY_HEADER:
            header = cells
            break
        if line == 1 and row and not row[0].strip() and any("note that" in c.casefold() for c in row):
            warnings.append("skipped the legacy spotifycharts disclaimer line")
            continue
        raise reject(chart_id, f"line {line}: unrecognised header {row[:6]!r}")
    if header is None:
        raise reject(chart_id, "no header row (empty file)")
    legacy = header[0] == "position"
    if not legacy and chart_id == SPOTIFY_GLOBAL_WEEKLY and not legacy_range and day.weekday() != _THURSDAY:
        raise reject(chart_id, f"{day} ({day:%A}) is not a chart-week Thursday")

    entries = []
    for n, row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise reject(chart_id, f"line {n}: {len(row)} fields, expected {len(header)}")
        rec = dict(zip(header, row, strict=True))
        entries.append(_legacy_entry(rec, n, chart_id) if legacy else _modern_entry(rec, n, chart_id))
    if not entries:
        raise reject(chart_id, "no chart entries (header only)")
    if legacy:
        warnings.append("legacy spotifycharts format: no peak/previous/weeks columns")
    return build_snapshot(chart_id, day, entries, warnings)


def _records(text: str, chart_id: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) per CSV record; csv errors refuse the feed."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise reject(chart_id, f"line {end + 1}: malformed CSV: {exc}") from exc
        start, end = end + 1, reader.line_num
        yield start, row


def _uri(value: str, line: int, chart_id: str) -> str:
    uri = spotify_track_uri(value)
    if uri is None:
        raise reject(chart_id, f"line {line}: not a Spotify track URI/URL: {value!r}")
    return uri


def _modern_entry(rec: dict[str, str], line: int, chart_id: str) -> ChartEntry:
    where = f"line {line}"
    previous = as_int(rec["previous_rank"], chart_id=chart_id, what=f"{where} previous_rank")
    return ChartEntry(
        rank=as_int(rec["rank"], chart_id=chart_id, what=f"{where} rank"),
        title=clean_text(rec["track_name"], chart_id=chart_id, what=f"{where} track_name"),
        artist=clean_text(rec["artist_names"], chart_id=chart_id, what=f"{where} artist_names"),
        external_id=_uri(rec["uri"], line, chart_id),
        peak_rank=as_int(rec["peak_rank"], chart_id=chart_id, what=f"{where} peak_rank"),
        previous_rank=None if previous == -1 else previous,  # -1: new entry or re-entry
        weeks_on_chart=as_int(rec["weeks_on_chart"], chart_id=chart_id, what=f"{where} weeks_on_chart"),
        streams=_streams(rec["streams"], line, chart_id),
    )


def _legacy_entry(rec: dict[str, str], line: int, chart_id: str) -> ChartEntry:
    where = f"line {line}"
    return ChartEntry(
        rank=as_int(rec["position"], chart_id=chart_id, what=f"{where} Position"),
        title=clean_text(rec["track name"], chart_id=chart_id, what=f"{where} Track Name"),
        artist=clean_text(rec["artist"], chart_id=chart_id, what=f"{where} Artist"),
        external_id=_uri(rec["url"], line, chart_id),
        peak_rank=None,
        previous_rank=None,
        weeks_on_chart=None,
        streams=_streams(rec["streams"], line, chart_id),
    )


def _streams(value: str, line: int, chart_id: str) -> int:
    streams = as_int(value.replace(",", ""), chart_id=chart_id, what=f"line {line} streams")
    if streams < 0:
        raise reject(chart_id, f"line {line}: negative streams {value!r}")
    return streams
