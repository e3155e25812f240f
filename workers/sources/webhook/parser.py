"""Pure parsers of partner pushes (no I/O): the broadcast JSON and YouTube's Atom notification.

* Broadcast partners (``mtv``, ``regional_tv``) push one air date's audiences as JSON
  (docs/webhooks.md)::

      {"date": "2026-11-28",
       "entries": [{"video_reference": "MTV-4471", "program": "Top 20 Countdown", "viewers": 1200000}]}

  :func:`parse_broadcast_push` validates it into a :class:`BroadcastPush`, or raises
  :class:`PushRejected` with every problem as ``{"field", "code", "message"}``;
  :func:`broadcast_samples` turns it into one :class:`~workers.metrics.MetricSample` per video and
  date, the same shape the broadcast CSV import writes (total viewers, per-programme detail).
* YouTube's PubSubHubbub hub pushes an Atom feed naming the video that was uploaded or updated
  (``<yt:videoId>``) or deleted (``<at:deleted-entry ref="yt:video:ID">``); it carries no counts,
  so :func:`parse_youtube_notification` only returns the video ids, and the service enqueues a
  YouTube sync of those videos.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from workers.metrics import MetricSample
from workers.sources.broadcast.engine import DayTotal

__all__ = [
    "BROADCAST_SOURCES",
    "MAX_ENTRIES",
    "SOURCES",
    "BroadcastEntry",
    "BroadcastPush",
    "PushRejected",
    "broadcast_samples",
    "parse_broadcast_push",
    "parse_push_references",
    "parse_youtube_notification",
]

# Webhook source (the path's {source}) -> the platform its pushes are for. The source is the platform.
BROADCAST_SOURCES = ("mtv", "regional_tv")
SOURCES = ("youtube", *BROADCAST_SOURCES)
MAX_ENTRIES = 1000
MAX_TEXT = 200

_ATOM = "{http://www.w3.org/2005/Atom}"
_YT = "{http://www.youtube.com/xml/schemas/2015}"
_TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}"
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


class PushRejected(ValueError):
    """A push that cannot be used; ``problems`` is the list of ``{"field", "code", "message"}``."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__(problems[0]["message"] if problems else "invalid push")
        self.problems = problems


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


@dataclass(frozen=True, slots=True)
class BroadcastEntry:
    video_reference: str
    program: str
    viewers: int


@dataclass(frozen=True, slots=True)
class BroadcastPush:
    air_date: date
    entries: tuple[BroadcastEntry, ...]

    @property
    def references(self) -> list[str]:
        """The distinct video references, in first-seen order."""
        return list(dict.fromkeys(e.video_reference for e in self.entries))


def _text(value: Any, field: str, problems: list[dict[str, str]]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(problem(field, "required", f"{field} must be a non-empty string"))
        return None
    if len(value) > MAX_TEXT:
        problems.append(problem(field, "too_long", f"{field} is longer than {MAX_TEXT} characters"))
        return None
    return value.strip()


def parse_broadcast_push(body: bytes) -> BroadcastPush:
    """Validate a broadcast partner's JSON push (module docstring); every problem at once."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PushRejected([problem("body", "invalid_json", f"the body is not JSON: {exc}")]) from None
    if not isinstance(doc, dict):
        raise PushRejected([problem("body", "invalid_type", "the body must be a JSON object")])
    problems: list[dict[str, str]] = []
    air_date = None
    raw_date = doc.get("date")
    try:
        air_date = date.fromisoformat(raw_date) if isinstance(raw_date, str) and len(raw_date) == 10 else None
    except ValueError:
        air_date = None
    if air_date is None:
        problems.append(problem("date", "invalid_date", "date must be the air date as YYYY-MM-DD"))
    raw_entries = doc.get("entries")
    entries: list[BroadcastEntry] = []
    if not isinstance(raw_entries, list) or not raw_entries:
        problems.append(problem("entries", "required", "entries must be a non-empty array"))
    elif len(raw_entries) > MAX_ENTRIES:
        problems.append(problem("entries", "too_many", f"at most {MAX_ENTRIES} entries per push"))
    else:
        for i, e in enumerate(raw_entries):
            at = f"entries[{i}]"
            if not isinstance(e, dict):
                problems.append(problem(at, "invalid_type", f"{at} must be an object"))
                continue
            ref = _text(e.get("video_reference"), f"{at}.video_reference", problems)
            program = _text(e.get("program"), f"{at}.program", problems)
            viewers = e.get("viewers")
            if isinstance(viewers, bool) or not isinstance(viewers, int) or not 0 <= viewers < 2**63:
                problems.append(
                    problem(
                        f"{at}.viewers", "invalid_count", f"{at}.viewers must be a whole number of viewers, 0 or more"
                    )
                )
                continue
            if ref is not None and program is not None:
                entries.append(BroadcastEntry(ref, program, viewers))
    if problems:
        raise PushRejected(problems)
    return BroadcastPush(air_date, tuple(entries))


def parse_youtube_notification(body: bytes) -> list[str]:
    """The YouTube video ids an Atom push notification names (updated, new or deleted), in order."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        # no document type, no entities: nothing for the XML parser to expand
        raise PushRejected([problem("body", "invalid_xml", "the notification may not declare a DOCTYPE or entities")])
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise PushRejected([problem("body", "invalid_xml", f"the body is not an Atom feed: {exc}")]) from None
    if root.tag != f"{_ATOM}feed":
        raise PushRejected([problem("body", "invalid_xml", "the body is not an Atom <feed>")])
    ids: list[str] = []
    for entry in root.iter(f"{_ATOM}entry"):
        vid = (entry.findtext(f"{_YT}videoId") or "").strip()
        ids.append(vid)
    for gone in root.iter(f"{_TOMBSTONE}deleted-entry"):
        ref = gone.get("ref", "")
        ids.append(ref.removeprefix("yt:video:").strip())
    bad = [v for v in ids if not _YOUTUBE_ID.match(v)]
    if bad or not ids:
        raise PushRejected(
            [
                problem(
                    "body",
                    "invalid_video_id",
                    "the notification names no YouTube video id"
                    if not ids
                    else f"not a YouTube video id: {bad[0][:40]!r}",
                )
            ]
        )
    return list(dict.fromkeys(ids))


def parse_push_references(source: str, body: bytes) -> list[str]:
    """The video references a push names: YouTube ids for ``youtube``, partner references otherwise."""
    if source == "youtube":
        return parse_youtube_notification(body)
    return parse_broadcast_push(body).references


def broadcast_samples(
    push: BroadcastPush,
    platform: str,
    videos: Mapping[str, UUID | str],
    *,
    import_id: UUID | None,
    webhook_id: str | None = None,
) -> list[MetricSample]:
    """One sample per video of the push: the day's total viewers with the per-programme detail.

    ``videos`` maps each reference to its music video (resolved when the push was accepted); an
    entry whose reference is missing there raises :class:`PushRejected`.
    """
    days: dict[str, DayTotal] = {}
    for e in push.entries:
        if e.video_reference not in videos:
            raise PushRejected(
                [problem("video_reference", "unknown_video", f"no video for reference {e.video_reference!r}")]
            )
        t = days.setdefault(e.video_reference, DayTotal())
        t.viewers += e.viewers
        t.airings += 1
        t.programs[e.program] = t.programs.get(e.program, 0) + e.viewers
    at = datetime(push.air_date.year, push.air_date.month, push.air_date.day, tzinfo=UTC)
    return [
        MetricSample(
            music_video_id=UUID(str(videos[ref])),
            platform=platform,
            collected_at=at,
            source=f"webhook:{platform}",
            views_total=t.viewers,
            external_reference=ref,
            import_batch_id=import_id,
            detail={**t.detail(), "reference": ref, **({"webhook_id": webhook_id} if webhook_id else {})},
        )
        for ref, t in days.items()
    ]
