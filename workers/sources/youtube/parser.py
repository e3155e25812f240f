"""YouTube Data API v3 ``videos.list``: the pure parser of its answers and errors (no I/O).

Facts this module relies on (see ``shared/fixtures/external/README.md``):

* counts are decimal *strings* (uint64); a missing key means "unknown" (hidden likes,
  disabled comments), never 0;
* unknown, deleted and private ids are silently left out of ``items``: results are
  matched by ``items[].id``, never by position;
* the daily quota resets at midnight America/Los_Angeles;
* error bodies share one envelope but key order varies, so they are read by key; what each
  reason means is :data:`REASONS`, applied by :mod:`workers.sources.http`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workers.errors import FeedRejected, SourceError
from workers.sources.http import SourceReasons, error_for_response

__all__ = [
    "REASONS",
    "SOURCE",
    "VideosListResult",
    "YouTubeStats",
    "next_quota_reset",
    "parse_error",
    "parse_videos_list",
    "quota_day",
    "redact",
]

SOURCE = "youtube"
QUOTA_TZ = ZoneInfo("America/Los_Angeles")

_COUNT_KEYS = {
    "view_count": "viewCount",
    "like_count": "likeCount",
    "comment_count": "commentCount",
    "favorite_count": "favoriteCount",
}
_UINT64_MAX = 2**64 - 1


@dataclass(frozen=True, slots=True)
class YouTubeStats:
    """Current totals of one video. ``None`` means the API did not report that count."""

    video_id: str
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    favorite_count: int | None


@dataclass(frozen=True, slots=True)
class VideosListResult:
    """Statistics keyed by video id, and the requested ids the API did not return."""

    stats: dict[str, YouTubeStats]
    missing: list[str]


def _load_json(payload: bytes | str | Mapping[str, Any], what: str) -> Any:
    if isinstance(payload, Mapping):
        return payload
    try:
        return json.loads(payload)
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise FeedRejected(f"{what} is not valid JSON: {exc}", source=SOURCE) from exc


def _parse_count(raw: Any, video_id: str, key: str) -> int:
    """A uint64 count: the API sends a decimal string; a bare int is accepted too."""
    if isinstance(raw, bool):
        raise FeedRejected(f"video {video_id}: {key} is a boolean ({raw!r})", source=SOURCE)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit():
        value = int(raw)
    else:
        raise FeedRejected(f"video {video_id}: {key} is not a decimal count ({raw!r})", source=SOURCE)
    if not 0 <= value <= _UINT64_MAX:
        raise FeedRejected(f"video {video_id}: {key} out of uint64 range ({raw!r})", source=SOURCE)
    return value


def _parse_item(item: Any) -> YouTubeStats:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), str) or not item["id"]:
        raise FeedRejected(f"videos.list item without a string id: {str(item)[:120]!r}", source=SOURCE)
    video_id = item["id"]
    statistics = item.get("statistics")
    if statistics is None:  # the statistics part was not requested: everything unknown
        statistics = {}
    if not isinstance(statistics, Mapping):
        raise FeedRejected(f"video {video_id}: statistics is not an object", source=SOURCE)
    counts = {
        field: (_parse_count(statistics[key], video_id, key) if statistics.get(key) is not None else None)
        for field, key in _COUNT_KEYS.items()
    }
    return YouTubeStats(video_id=video_id, **counts)


def parse_videos_list(payload: bytes | str | Mapping[str, Any],
                      requested_ids: Sequence[str]) -> VideosListResult:
    """Parse a ``videos.list`` body; ids in ``requested_ids`` that did not come back are ``missing``.

    Missing ids are deleted, private or never existed (permanent). Returned items that were
    not requested are kept in ``stats`` too. Raises ``FeedRejected`` for anything that is not a
    ``youtube#videoListResponse``.
    """
    doc = _load_json(payload, "videos.list response")
    if not isinstance(doc, Mapping):
        raise FeedRejected("videos.list response is not a JSON object", source=SOURCE)
    if "error" in doc:
        raise FeedRejected("body is an API error envelope, not a videos.list response", source=SOURCE)
    if doc.get("kind") != "youtube#videoListResponse":
        raise FeedRejected(f"not a youtube#videoListResponse (kind={doc.get('kind')!r})", source=SOURCE)
    items = doc.get("items", [])
    if not isinstance(items, list):
        raise FeedRejected("videos.list 'items' is not a list", source=SOURCE)
    stats: dict[str, YouTubeStats] = {}
    for item in items:
        parsed = _parse_item(item)
        stats[parsed.video_id] = parsed
    missing = [vid for vid in dict.fromkeys(requested_ids) if vid not in stats]
    return VideosListResult(stats=stats, missing=missing)


def quota_day(now: datetime) -> date:
    """The quota day of ``now``: its date in America/Los_Angeles, where YouTube resets the quota."""
    return now.astimezone(QUOTA_TZ).date()


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in America/Los_Angeles strictly after ``now``, as an aware UTC datetime."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(QUOTA_TZ)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=QUOTA_TZ)
    return midnight.astimezone(UTC)


# Google's reasons (errors[].reason, details[].reason or the gRPC-style ``status``) by meaning.
REASONS = SourceReasons(
    quota=frozenset({"quotaExceeded", "dailyLimitExceeded"}),
    rate_limit=frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED",
                          "RESOURCE_EXHAUSTED"}),
    auth=frozenset({"keyInvalid", "keyExpired", "forbidden", "PERMISSION_DENIED", "API_KEY_INVALID",
                    "UNAUTHENTICATED", "accessNotConfigured", "ipRefererBlocked", "unauthorized",
                    "authError", "SERVICE_DISABLED", "dailyLimitExceededUnreg"}),
    transient=frozenset({"backendError", "internalError", "serviceUnavailable", "UNAVAILABLE",
                         "INTERNAL", "DEADLINE_EXCEEDED"}),
    quota_reset=next_quota_reset,
    auth_advice="YouTube API key is invalid or blocked; check the key in the secrets store and that "
                "YouTube Data API v3 is enabled for its project.",
)


_KEY_IN_TEXT = re.compile(r"((?:[?&]|\b)key=)[^&\s\"']+", re.IGNORECASE)
_GOOGLE_API_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{35}")


def redact(text: str, secret: str | None = None) -> str:
    """Remove API keys from text that may be shown to operators or logged."""
    if secret:
        text = text.replace(secret, "***")
    text = _KEY_IN_TEXT.sub(r"\1***", text)
    return _GOOGLE_API_KEY.sub("***", text)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _error_parts(body: bytes | str) -> tuple[str | None, list[str]]:
    """(message, reasons) from a Google error envelope, read by key; (None, []) if unparsable."""
    try:
        doc = json.loads(body)
    except (ValueError, TypeError):
        return None, []
    err = doc.get("error") if isinstance(doc, Mapping) else None
    if not isinstance(err, Mapping):
        return None, []
    message = err.get("message") if isinstance(err.get("message"), str) else None
    reasons: list[str] = []
    for entry in _as_list(err.get("errors")):
        if isinstance(entry, Mapping):
            if isinstance(entry.get("reason"), str):
                reasons.append(entry["reason"])
            if message is None and isinstance(entry.get("message"), str):
                message = entry["message"]
    for entry in _as_list(err.get("details")):
        if isinstance(entry, Mapping) and isinstance(entry.get("reason"), str):
            reasons.append(entry["reason"])
    if isinstance(err.get("status"), str):
        reasons.append(err["status"])
    return message, reasons


def parse_error(status: int, body: bytes | str, headers: Mapping[str, str] | None, now: datetime,
                *, secret: str | None = None) -> SourceError:
    """Classify a non-2xx YouTube response into the project's exception tree (returned, not raised).

    The Google envelope's reasons (any layout) go to :func:`workers.sources.http.error_for_response`
    with YouTube's :data:`REASONS`; an unparsable body is classified by status alone. ``secret``
    (the API key) is scrubbed from the message.
    """
    api_message, reasons = _error_parts(body)
    if api_message is None:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        snippet = " ".join(text.split())[:200]
        said = f"unparsable error body: {snippet!r}" if snippet else "empty error body"
    else:
        said = f"API said: {api_message}"
    return error_for_response(status, headers, now=now, source=SOURCE, label="YouTube",
                              detail=redact(said, secret), reasons=reasons, known=REASONS)
