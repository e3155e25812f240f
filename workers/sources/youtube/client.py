"""YouTube Data API v3 ``videos.list?part=statistics``: the thin httpx client (HTTP I/O only).

At most 50 ids per call, one quota unit per call. Answers are parsed by
:mod:`workers.sources.youtube.parser`; failed exchanges are mapped by :mod:`workers.sources.http`.

The API key is sent as the ``key`` query parameter (as the brief asks) but never appears
in exceptions, returned URLs or httpx's own request log (a redacting log filter is
installed on the ``httpx`` logger).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from workers.errors import FeedRejected
from workers.sources.http import count_call, transport_errors
from workers.sources.youtube.parser import SOURCE, VideosListResult, parse_error, parse_videos_list, redact

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_CALL",
    "FetchedPayload",
    "YouTubeClient",
    "chunked",
    "fetch_youtube_metrics",
]

DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"
MAX_IDS_PER_CALL = 50

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FetchedPayload:
    """One ``videos.list`` call: the raw body (for audit/replay), its status and the parsed result."""

    raw: bytes
    status: int
    url_without_key: str
    result: VideosListResult


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


class _RedactKeyFilter(logging.Filter):
    """httpx logs every request URL at INFO; strip ``key=`` from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(str(a)) if isinstance(a, (str, httpx.URL)) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
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
        with transport_errors(SOURCE, f"GET {url_without_key}"):
            response = self._http.get(url, params={**public_params, "key": self._api_key},
                                      timeout=self._timeout)
            raw = response.content
        count_call(SOURCE, response.status_code)
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
