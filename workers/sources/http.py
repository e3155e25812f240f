"""HTTP answers of every source, mapped to the error tree of :mod:`workers.errors`.

The one place that decides what a failed HTTP exchange means:

* a source's own error reasons (:class:`SourceReasons`, e.g. YouTube's ``quotaExceeded``) win
  over the status: quota -> :class:`QuotaExceeded` until ``quota_reset(now)``; rate limit and
  transient reasons -> :class:`TransientSourceError`; auth reasons -> :class:`SourceAuthError`;
* otherwise the status: 408, 425, 429 and 5xx are transient, 401 and 403 are auth, any other
  non-2xx is a :class:`SourceRequestError`;
* ``Retry-After`` (delta-seconds or an HTTP-date) becomes ``retry_after`` seconds, capped at
  :data:`MAX_RETRY_AFTER`; garbage, negative and non-ASCII digits are ignored (``None``);
* httpx transport failures (:func:`transport_errors`) are transient, raised ``from`` the httpx error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from workers.errors import (
    QuotaExceeded,
    SourceAuthError,
    SourceError,
    SourceRequestError,
    TransientSourceError,
)
from workers.telemetry import API_CALLS

__all__ = ["MAX_RETRY_AFTER", "SourceReasons", "count_call", "error_for_response", "retry_after_seconds",
           "transport_errors"]

MAX_RETRY_AFTER = 86_400.0  # a server asking for more than a day is capped to a day
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_MAX_DELTA_DIGITS = 12  # longer runs of digits are capped without int() (which refuses > 4300 digits)


@dataclass(frozen=True)
class SourceReasons:
    """A source's error reasons by meaning (``quota`` needs ``quota_reset``), and its advice on refused access."""

    quota: frozenset[str] = frozenset()
    rate_limit: frozenset[str] = frozenset()
    auth: frozenset[str] = frozenset()
    transient: frozenset[str] = frozenset()
    quota_reset: Callable[[datetime], datetime] | None = None
    auth_advice: str | None = None


NO_REASONS = SourceReasons()


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header by case-insensitive name (plain dicts as well as ``httpx.Headers``)."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str] | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (0 for a past date), capped; ``None`` if absent or unusable."""
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isascii() and raw.isdigit():  # delta-seconds is ASCII digits (RFC 9110); "¹".isdigit() too
        return MAX_RETRY_AFTER if len(raw) > _MAX_DELTA_DIGITS else min(float(raw), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # the asctime form carries no zone; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)


def error_for_response(status: int, headers: Mapping[str, str] | None, *, now: datetime, source: str,
                       label: str, detail: str, reasons: Sequence[str] = (),
                       known: SourceReasons = NO_REASONS) -> SourceError:
    """The exception (returned, not raised) for a non-2xx answer.

    ``reasons`` are the reasons the body gave, in order (the first is reported when none is
    known); ``detail`` ends every message (what the server said, or what was fetched).
    """
    found = set(reasons)

    def pick(group: frozenset[str] = frozenset()) -> str | None:
        return next((r for r in reasons if r in group), reasons[0] if reasons else None)

    def transient(message: str, reason: str | None) -> TransientSourceError:
        return TransientSourceError(f"{message} {detail}", retry_after=retry_after_seconds(headers, now),
                                    source=source, status=status, reason=reason)

    if found & known.quota:
        retry_at = known.quota_reset(now)
        return QuotaExceeded(f"{label} quota exceeded; no calls until {retry_at.isoformat()}. {detail}",
                             retry_at=retry_at, source=source, status=status, reason=pick(known.quota))
    if found & known.rate_limit:
        return transient(f"{label} rate limit hit; retry with backoff.", pick(known.rate_limit))
    if found & known.auth or (status in (401, 403) and not found & known.transient):
        advice = known.auth_advice or f"{label} refused access (HTTP {status}); check the credentials."
        return SourceAuthError(f"{advice} {detail}", source=source, status=status, reason=pick(known.auth))
    if status == 429:
        return transient(f"{label} asked us to slow down (HTTP 429); retry with backoff.", pick())
    if found & known.transient or status in _TRANSIENT_STATUSES or status >= 500:
        return transient(f"{label} server error or timeout (HTTP {status}); retry later.", pick(known.transient))
    return SourceRequestError(f"{label} rejected the request (HTTP {status}). {detail}", source=source,
                              status=status, reason=pick())


@contextmanager
def transport_errors(source: str, what: str) -> Iterator[None]:
    """Inside the block, httpx timeouts and transport failures become :class:`TransientSourceError`
    (and count as a failed call in ``mv_source_api_calls_total``; an answered call is counted by
    :func:`count_call`)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        API_CALLS.labels(source, "timeout").inc()
        raise TransientSourceError(f"timed out: {what}", source=source, reason="timeout") from exc
    except httpx.TransportError as exc:
        API_CALLS.labels(source, "transport_error").inc()
        raise TransientSourceError(f"transport error ({type(exc).__name__}): {what}", source=source,
                                   reason="transport") from exc


def count_call(source: str, status: int) -> None:
    """Count one answered call to an outside API or feed, by its HTTP status class (``2xx``...)."""
    API_CALLS.labels(source, f"{status // 100}xx").inc()
