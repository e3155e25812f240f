"""Billboard charts from the two public JSON datasets found (see the fixtures README).

* Hot 100, mhollingshead/billboard-hot-100 ``date/YYYY-MM-DD.json``:
  ``{"date", "data": [{song, artist, this_week, last_week, peak_position, weeks_on_chart}]}``.
  Chart dates are Mondays until 1961 and Saturdays from 1962-01-06. ``last_week`` is null for
  debuts and re-entries. 13 charts (1976-12-04 .. 1977-03-05) have 99 entries.
* Global 200, KoreanThinker/billboard-json ``billboard-global-200/*.json``:
  ``{"date", "data": [{name, artist, image, rank, last_week_rank, peak_rank, weeks_on_chart}]}``.
  ``date`` is the *crawl* date; it is mapped to the chart week with a warning. From 2025-07-29
  the scraper writes ``peak_rank`` 0 everywhere: such feeds are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from workers.sources.charts.common import (
    GLOBAL_200,
    HOT_100,
    ChartEntry,
    ChartSnapshot,
    as_int,
    build_snapshot,
    clean_text,
    reject,
)

HOT_100_FIRST_CHART = date(1958, 8, 4)
HOT_100_SATURDAY_FROM = date(1962, 1, 6)
# The 99-entry charts: the dataset numbers 1..99 contiguously, but peaks (and debuts) show that
# the printed chart skipped a position, so rows after the gap have peak == rank + 1.
HOT_100_99_ENTRY_WINDOW = (date(1976, 12, 4), date(1977, 3, 5))
GLOBAL_200_FIRST_CHART = date(2020, 9, 19)
_MONDAY, _TUESDAY, _SATURDAY = 0, 1, 5


def _load(payload: bytes | str | Mapping[str, Any], chart_id: str) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        doc = payload
    else:
        try:
            doc = json.loads(payload)
        except (ValueError, TypeError) as exc:
            raise reject(chart_id, f"not valid JSON: {exc}") from exc
    if not isinstance(doc, Mapping):
        raise reject(chart_id, "top level is not a JSON object")
    if not isinstance(doc.get("data"), list):
        raise reject(chart_id, "'data' is missing or not a list")
    if not doc["data"]:
        raise reject(chart_id, "no chart entries (empty data)")
    return doc


def _file_date(doc: Mapping[str, Any], chart_id: str) -> date | None:
    raw = doc.get("date")
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise reject(chart_id, f"date {raw!r} is not YYYY-MM-DD") from exc


def hot100_week_ok(day: date) -> bool:
    """True if ``day`` can be a Hot 100 chart date (Monday before 1962-01-06, Saturday after)."""
    if day < HOT_100_FIRST_CHART:
        return False
    return day.weekday() == (_MONDAY if day < HOT_100_SATURDAY_FROM else _SATURDAY)


def parse_hot100(payload: bytes | str | Mapping[str, Any], *,
                 chart_date: date | None = None) -> ChartSnapshot:
    """Parse an mhollingshead Hot 100 file. ``chart_date`` overrides (and must agree with) the file's date."""
    doc = _load(payload, HOT_100)
    file_date = _file_date(doc, HOT_100)
    if chart_date and file_date and chart_date != file_date:
        raise reject(HOT_100, f"file date {file_date} disagrees with the expected chart date {chart_date}")
    day = chart_date or file_date
    if day is None:
        raise reject(HOT_100, "no chart date in the file or the call")
    if not hot100_week_ok(day):
        raise reject(HOT_100, f"{day} ({day:%A}) is not a Hot 100 chart date "
                              "(Mondays from 1958-08-04, Saturdays from 1962-01-06)")
    entries = []
    for i, row in enumerate(doc["data"], 1):
        if not isinstance(row, Mapping):
            raise reject(HOT_100, f"data[{i - 1}] is not an object")
        what = f"data[{i - 1}]"
        entries.append(ChartEntry(
            rank=as_int(row.get("this_week"), chart_id=HOT_100, what=f"{what}.this_week"),
            title=clean_text(row.get("song"), chart_id=HOT_100, what=f"{what}.song"),
            artist=clean_text(row.get("artist"), chart_id=HOT_100, what=f"{what}.artist"),
            external_id=None,
            peak_rank=as_int(row.get("peak_position"), chart_id=HOT_100, what=f"{what}.peak_position",
                             allow_none=True),
            previous_rank=as_int(row.get("last_week"), chart_id=HOT_100, what=f"{what}.last_week",
                                 allow_none=True),
            weeks_on_chart=as_int(row.get("weeks_on_chart"), chart_id=HOT_100, what=f"{what}.weeks_on_chart",
                                  allow_none=True),
        ))
    warnings = []
    if len(entries) == 99:
        warnings.append("chart has 99 entries (known for 1976-12-04..1977-03-05)")
    lo, hi = HOT_100_99_ENTRY_WINDOW
    return build_snapshot(HOT_100, day, entries, warnings, tolerate_peak_off_by_one=lo <= day <= hi)


def global200_chart_date(crawl_date: date) -> date:
    """The Global 200 chart date live on ``crawl_date``.

    Billboard publishes each chart on a Tuesday, dated the following Saturday, so the chart
    live on a day is the one published on the latest Tuesday on or before it (+4 days).
    A crawl on a Tuesday is assumed to be after that day's release.
    """
    published = crawl_date - timedelta(days=(crawl_date.weekday() - _TUESDAY) % 7)
    return published + timedelta(days=4)


def parse_global200(payload: bytes | str | Mapping[str, Any], *,
                    chart_date: date | None = None) -> ChartSnapshot:
    """Parse a KoreanThinker Global 200 file; its crawl ``date`` is mapped to the chart week.

    Pass ``chart_date`` (a Saturday) when the real chart date is known; it then replaces the mapping.
    """
    doc = _load(payload, GLOBAL_200)
    crawl = _file_date(doc, GLOBAL_200)
    warnings: list[str] = []
    if chart_date is not None:
        if chart_date.weekday() != _SATURDAY:
            raise reject(GLOBAL_200, f"chart date {chart_date} ({chart_date:%A}) is not a Saturday")
        day = chart_date
    elif crawl is not None:
        day = global200_chart_date(crawl)
        warnings.append(f"file date {crawl} is a crawl date; mapped to the chart dated {day}"
                        + (" (Tuesday crawl: assumed after that day's release)" if crawl.weekday() == _TUESDAY
                           else ""))
    else:
        raise reject(GLOBAL_200, "no date in the file or the call")
    if day < GLOBAL_200_FIRST_CHART:
        raise reject(GLOBAL_200, f"{day} is before the first Global 200 chart ({GLOBAL_200_FIRST_CHART})")
    entries = []
    for i, row in enumerate(doc["data"]):
        if not isinstance(row, Mapping):
            raise reject(GLOBAL_200, f"data[{i}] is not an object")
        what = f"data[{i}]"
        entries.append(ChartEntry(
            rank=as_int(row.get("rank"), chart_id=GLOBAL_200, what=f"{what}.rank"),
            title=clean_text(row.get("name"), chart_id=GLOBAL_200, what=f"{what}.name"),
            artist=clean_text(row.get("artist"), chart_id=GLOBAL_200, what=f"{what}.artist"),
            external_id=None,
            peak_rank=as_int(row.get("peak_rank"), chart_id=GLOBAL_200, what=f"{what}.peak_rank",
                             allow_none=True),
            previous_rank=as_int(row.get("last_week_rank"), chart_id=GLOBAL_200,
                                 what=f"{what}.last_week_rank", allow_none=True),
            weeks_on_chart=as_int(row.get("weeks_on_chart"), chart_id=GLOBAL_200,
                                  what=f"{what}.weeks_on_chart", allow_none=True),
        ))
    return build_snapshot(GLOBAL_200, day, entries, warnings)
