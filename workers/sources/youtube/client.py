"""YouTube Data API v3 ``videos.list`` statistics: a pure parser plus a thin httpx client.

Facts this module relies on (see ``shared/fixtures/external/README.md``):

* counts are decimal *strings* (uint64); a missing key means "unknown" (hidden likes,
  disabled comments), never 0;
* unknown, deleted and private ids are silently left out of ``items``: results are
  matched by ``items[].id``, never by position;
* at most 50 ids per call, one quota unit per call; the daily quota resets at
  midnight America/Los_Angeles;
* error bodies share one envelope but key order varies, so they are read by key.

The API key is sent as the ``key`` query parameter (as the brief asks) but never appears
in exceptions, returned URLs or httpx's own request log (a redacting log filter is
installed on the ``httpx`` logger).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from workers.errors import (
    FeedRejected,
    QuotaExceeded,
    SourceAuthError,
    SourceError,
    SourceRequestError,
    TransientSourceError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_CALL",
    "FetchedPayload",
    "VideosListResult",
    "YouTubeClient",
    "YouTubeStats",
    "chunked",
    "fetch_youtube_metrics",
    "next_quota_reset",
    "parse_error",
    "parse_videos_list",
]

SOURCE = "youtube"
DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"
MAX_IDS_PER_CALL = 50
QUOTA_TZ = ZoneInfo("America/Los_Angeles")

_COUNT_KEYS = {
    "view_count": "viewCount",
    "like_count": "likeCount",
    "comment_count": "commentCount",
    "favorite_count": "favoriteCount",
}
_UINT64_MAX = 2**64 - 1

# Reasons (errors[].reason, details[].reason or the gRPC-style ``status``) by class.
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED",
                           "RESOURCE_EXHAUSTED"})
_TRANSIENT_REASONS = frozenset({"backendError", "internalError", "serviceUnavailable", "UNAVAILABLE",
                                "INTERNAL", "DEADLINE_EXCEEDED"})
_AUTH_REASONS = frozenset({"keyInvalid", "keyExpired", "forbidden", "PERMISSION_DENIED", "API_KEY_INVALID",
                           "UNAUTHENTICATED", "accessNotConfigured", "ipRefererBlocked", "unauthorized",
                           "authError", "SERVICE_DISABLED", "dailyLimitExceededUnreg"})

T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class FetchedPayload:
    """One ``videos.list`` call: the raw body (for audit/replay), its status and the parsed result."""

    raw: bytes
    status: int
    url_without_key: str
    result: VideosListResult


# --------------------------------------------------------------------------- parsing


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


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in America/Los_Angeles strictly after ``now``, as an aware UTC datetime."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(QUOTA_TZ)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=QUOTA_TZ)
    return midnight.astimezone(UTC)


_KEY_IN_TEXT = re.compile(r"((?:[?&]|\b)key=)[^&\s\"']+", re.IGNORECASE)
_GOOGLE_API_KEY = re.compile(r"AIza[0-9A-Za-z_\-]{35}")


def _redact(text: str, secret: str | None = None) -> str:
    """Remove API keys from text that may be shown to operators or logged."""
    if secret:
        text = text.replace(secret, "***")
    text = _KEY_IN_TEXT.sub(r"\1***", text)
    return _GOOGLE_API_KEY.sub("***", text)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _retry_after_seconds(headers: Mapping[str, str] | None, now: datetime) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date; unparsable -> None."""
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isascii() and raw.isdigit():  # delta-seconds is ASCII digits (RFC 9110); "¹".isdigit() too
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


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

    Classification is by ``reason`` (any layout), falling back to the HTTP status when the body
    is not a Google error envelope. ``secret`` (the API key) is scrubbed from the message.
    """
    api_message, reasons = _error_parts(body)
    reason_set = set(reasons)
    primary = reasons[0] if reasons else None
    if api_message is None:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        snippet = " ".join(text.split())[:200]
        said = f"unparsable error body: {snippet!r}" if snippet else "empty error body"
    else:
        said = f"API said: {api_message}"
    said = _redact(said, secret)

    def pick(*names: str) -> str | None:
        return next((r for r in reasons if r in names), primary)

    if reason_set & _QUOTA_REASONS:
        retry_at = next_quota_reset(now)
        return QuotaExceeded(
            f"YouTube daily quota exceeded; no calls until {retry_at.isoformat()} (midnight Pacific). {said}",
            retry_at=retry_at, source=SOURCE, status=status, reason=pick(*_QUOTA_REASONS))
    if reason_set & _RATE_REASONS:
        return TransientSourceError(
            f"YouTube rate limit hit; retry with backoff. {said}",
            retry_after=_retry_after_seconds(headers, now), source=SOURCE, status=status,
            reason=pick(*_RATE_REASONS))
    if reason_set & _AUTH_REASONS:
        return SourceAuthError(
            "YouTube API key is invalid or blocked; check the key in the secrets store and that "
            f"YouTube Data API v3 is enabled for its project. {said}",
            source=SOURCE, status=status, reason=pick(*_AUTH_REASONS))
    if reason_set & _TRANSIENT_REASONS or status >= 500:
        return TransientSourceError(
            f"YouTube server error; retry later. {said}",
            retry_after=_retry_after_seconds(headers, now), source=SOURCE, status=status, reason=primary)
    # No known reason: decide by status alone.
    if status in (408, 429):
        return TransientSourceError(
            f"YouTube asked us to slow down (HTTP {status}). {said}",
            retry_after=_retry_after_seconds(headers, now), source=SOURCE, status=status, reason=primary)
    if status in (401, 403):
        return SourceAuthError(
            "YouTube API key is invalid or blocked (HTTP "
            f"{status}); check the key in the secrets store. {said}",
            source=SOURCE, status=status, reason=primary)
    return SourceRequestError(f"YouTube rejected the request. {said}", source=SOURCE, status=status,
                              reason=primary)


def chunked(ids: Iterable[T], size: int = MAX_IDS_PER_CALL) -> Iterator[list[T]]:
    """Split ``ids`` into lists of at most ``size`` items, in order."""
    if size < 1:
        raise ValueError("size must be >= 1")
    batch: list[T] = []
    for item in ids:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- I/O


class _RedactKeyFilter(logging.Filter):
    """httpx logs every request URL at INFO; strip ``key=`` from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(str(a)) if isinstance(a, (str, httpx.URL)) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


def _install_log_filter() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactKeyFilter) for f in logger.filters):
            logger.addFilter(_RedactKeyFilter())


_install_log_filter()


class YouTubeClient:
    """Thin ``videos.list?part=statistics`` client. ``calls`` counts HTTP requests sent."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL, http: httpx.Client | None = None,
                 timeout: float = 10.0, *, clock: Callable[[], datetime] | None = None) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        self.calls = 0

    def __repr__(self) -> str:  # never show the key
        return f"YouTubeClient(base_url={self.base_url!r}, calls={self.calls})"

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> YouTubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch_statistics(self, ids: Sequence[str]) -> FetchedPayload:
        """One ``GET /videos?part=statistics&id=...`` for at most 50 ids (duplicates collapsed)."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ValueError("fetch_statistics needs at least one id")
        if len(unique) > MAX_IDS_PER_CALL:
            raise ValueError(f"at most {MAX_IDS_PER_CALL} ids per videos.list call, got {len(unique)}")
        bad = [i for i in unique if not isinstance(i, str) or not i or "," in i or i.strip() != i]
        if bad:
            raise ValueError(f"invalid video ids: {bad[:5]!r}")
        public_params = {"part": "statistics", "id": ",".join(unique)}
        url = f"{self.base_url}/videos"
        url_without_key = str(httpx.URL(url, params=public_params))
        self.calls += 1
        try:
            response = self._http.get(url, params={**public_params, "key": self._api_key},
                                      timeout=self._timeout)
            raw = response.content
        except httpx.TimeoutException as exc:
            raise TransientSourceError(f"YouTube request timed out: GET {url_without_key}",
                                       source=SOURCE, reason="timeout") from exc
        except httpx.TransportError as exc:
            raise TransientSourceError(
                f"YouTube transport error ({type(exc).__name__}): GET {url_without_key}",
                source=SOURCE, reason="transport") from exc
        if not 200 <= response.status_code < 300:
            raise parse_error(response.status_code, raw, response.headers, self._clock(),
                              secret=self._api_key)
        try:
            result = parse_videos_list(raw, unique)
        except FeedRejected as exc:
            exc.raw = raw  # the caller keeps the rejected body for audit
            raise
        return FetchedPayload(raw=raw, status=response.status_code, url_without_key=url_without_key,
                              result=result)


def fetch_youtube_metrics(client: YouTubeClient, video_ids: Sequence[str], since: datetime | None = None,
                          *, on_payload: Callable[[FetchedPayload], None] | None = None,
                          ) -> list[VideosListResult]:
    """Fetch statistics for any number of ids in calls of 50 (one quota unit each).

    ``since`` is accepted for the spec's signature and ignored: ``videos.list`` only returns
    current totals, never history. ``on_payload`` receives each raw ``FetchedPayload`` so
    the caller can keep it in Storage for audit and replay.
    """
    del since  # the API has no history; see docstring
    results: list[VideosListResult] = []
    for batch in chunked(dict.fromkeys(video_ids), MAX_IDS_PER_CALL):
        fetched = client.fetch_statistics(batch)
        if on_payload is not None:
            on_payload(fetched)
        results.append(fetched.result)
    return results
