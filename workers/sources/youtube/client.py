"""YouTube Data API v3 ``videos.list?part=statistics``: the thin httpx client (HTTP I/O only).

At most 50 ids per call, one quota unit per call. Answers are parsed by
:mod:`workers.sources.youtube.parser`; failed exchanges are mapped by :mod:`workers.sources.http`.

Several API keys (``MV_YOUTUBE_API_KEYS``), each with its own daily budget, are tried in order:
before each call the unit is reserved in a :class:`QuotaLedger` (the database's shared count,
:mod:`workers.sources.youtube.quota`), a key whose budget is spent or that YouTube answers
``quotaExceeded`` is set aside until the quota day ends, and the next key serves the same call.
Only when every key is spent does the call raise :class:`~workers.errors.QuotaExceeded` (the
worker then pauses the source until midnight Pacific Time).

The API key is sent as the ``key`` query parameter (as the brief asks) but never appears
in exceptions, returned URLs or httpx's own request log (a redacting log filter is
installed on the ``httpx`` logger).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol, TypeVar
from urllib.parse import quote_plus

import httpx

from workers.errors import FeedRejected, QuotaExceeded
from workers.sources.http import count_call, transport_errors
from workers.sources.youtube.parser import (
    SOURCE,
    VideosListResult,
    next_quota_reset,
    parse_error,
    parse_videos_list,
    quota_day,
    redact,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_CALL",
    "Answer",
    "ApiKey",
    "FetchedPayload",
    "QuotaLedger",
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


@dataclass(frozen=True, slots=True)
class Answer:
    """One answered ``videos.list`` call, not parsed yet: the raw body, its status, the URL without
    the key and the ids asked for. :meth:`parse` reads it (the YouTube handler does that off the
    slot that made the call, so that the slot's next call goes out first)."""

    raw: bytes
    status: int
    url_without_key: str
    ids: list[str]

    def parse(self) -> FetchedPayload:
        """The parsed answer; ``FeedRejected`` (carrying the body as ``raw``) if it is not a videos.list answer."""
        try:
            result = parse_videos_list(self.raw, self.ids)
        except FeedRejected as exc:
            exc.raw = self.raw  # the caller keeps the rejected body for audit
            raise
        return FetchedPayload(raw=self.raw, status=self.status, url_without_key=self.url_without_key,
                              result=result)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One key: its name (in the shared count and in logs), the secret, and its units per quota day."""

    name: str
    secret: str = field(repr=False)
    daily_units: int


class QuotaLedger(Protocol):
    """The shared count of units spent per key and quota day."""

    def spend(self, key: ApiKey, units: int = 1) -> bool:
        """Reserve ``units`` on ``key`` if its budget and the day's hold them; False otherwise."""

    def exhaust(self, key: ApiKey) -> None:
        """YouTube said the key's quota is spent: set it aside until the quota day ends."""


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
    """Thin ``videos.list?part=statistics`` client. ``calls`` counts HTTP requests sent.

    ``api_key`` is one key (named "default", no budget of its own) or several :class:`ApiKey`,
    tried in order as the module describes.
    """

    def __init__(self, api_key: str | Sequence[ApiKey], base_url: str = DEFAULT_BASE_URL,
                 http: httpx.Client | None = None, timeout: float = 10.0, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        keys = [ApiKey("default", api_key, 2**31 - 1)] if isinstance(api_key, str) else list(api_key)
        if not keys or not all(k.secret for k in keys):
            raise ValueError("api_key is required")
        self._keys = keys
        self._current = 0  # the key that served the last call: tried first
        self._spent: dict[str, date] = {}  # key name -> the quota day it was found spent
        self._keys_lock = threading.Lock()
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

    def _quota_day(self) -> date:
        return quota_day(self._clock())

    def _set_aside(self, key: ApiKey, day: date) -> None:
        with self._keys_lock:
            self._spent[key.name] = day

    def next_key(self) -> ApiKey | None:
        """The key :meth:`fetch_statistics` would try first now (None: every key is spent today)."""
        day = self._quota_day()
        with self._keys_lock:
            for step in range(len(self._keys)):
                key = self._keys[(self._current + step) % len(self._keys)]
                if self._spent.get(key.name) != day:
                    return key
        return None

    def fetch_statistics(self, ids: Sequence[str], *, ledger: QuotaLedger | None = None) -> FetchedPayload:
        """One ``videos.list`` call for at most 50 ids (duplicates collapsed), on the first key with units left,
        parsed (:meth:`fetch_answer`, then :meth:`Answer.parse`)."""
        return self.fetch_answer(ids, ledger=ledger).parse()

    def fetch_answer(self, ids: Sequence[str], *, ledger: QuotaLedger | None = None) -> Answer:
        """One ``videos.list`` call for at most 50 ids (duplicates collapsed), on the first key with units left;
        the answer is returned unparsed (a non-2xx answer raises here, as in :meth:`fetch_statistics`).

        With a ``ledger``, each attempt first reserves its unit there. Raises ``QuotaExceeded``
        when no key has units left (the last key's own answer, if YouTube gave one).
        """
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ValueError("fetch_statistics needs at least one id")
        if len(unique) > MAX_IDS_PER_CALL:
            raise ValueError(f"at most {MAX_IDS_PER_CALL} ids per videos.list call, got {len(unique)}")
        bad = [i for i in unique if not isinstance(i, str) or not i or "," in i or i.strip() != i]
        if bad:
            raise ValueError(f"invalid video ids: {bad[:5]!r}")
        day = self._quota_day()
        with self._keys_lock:
            start = self._current
        last: QuotaExceeded | None = None
        for step in range(len(self._keys)):
            index = (start + step) % len(self._keys)
            key = self._keys[index]
            with self._keys_lock:
                if self._spent.get(key.name) == day:
                    continue
            if ledger is not None and not ledger.spend(key):
                self._set_aside(key, day)
                continue
            try:
                answer = self._fetch_with(key, unique)
            except QuotaExceeded as exc:
                self._set_aside(key, day)
                if ledger is not None:
                    ledger.exhaust(key)
                last = exc
                continue
            with self._keys_lock:
                self._current = index
            return answer
        if last is not None:
            raise last
        retry_at = next_quota_reset(self._clock())
        names = ", ".join(k.name for k in self._keys)
        raise QuotaExceeded(f"every YouTube API key has spent its daily budget ({names}); no calls until"
                            f" {retry_at.isoformat()}", retry_at=retry_at, source=SOURCE, reason="budgetSpent")

    def _fetch_with(self, key: ApiKey, unique: list[str]) -> Answer:
        # The query is encoded once, by hand, exactly as httpx encodes ``params=`` (every reserved
        # character escaped, a space as "+"; the ids one by one, so that an id with nothing to escape
        # takes quote()'s fast path), and httpx parses the URL once: with ``params=`` it parsed and
        # re-validated the 600-character URL of 50 ids three times a call, character by character
        # (~0.3 ms of the slot's CPU, on the way to its next call).
        url_without_key = (f"{self.base_url}/videos?part=statistics&id="
                           + "%2C".join([quote_plus(i, safe="") for i in unique]))
        self.calls += 1
        with transport_errors(SOURCE, f"GET {url_without_key}"):
            request = self._http.build_request("GET", f"{url_without_key}&key={quote_plus(key.secret, safe='')}",
                                               timeout=self._timeout)
            response = self._http.send(request)
            raw = response.content
        count_call(SOURCE, response.status_code)
        if not 200 <= response.status_code < 300:
            raise parse_error(response.status_code, raw, response.headers, self._clock(),
                              secret=key.secret)
        return Answer(raw=raw, status=response.status_code, url_without_key=url_without_key, ids=unique)


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
