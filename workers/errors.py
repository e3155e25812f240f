"""The exception tree of the Music Videos services.

Foreign errors (httpx, psycopg, csv, json) are mapped to these at the boundary
with ``raise ... from``, so callers decide on retry by class, never by message::

    MusicVideoError
    ├── ConfigError                      bad or missing settings; fix the configuration
    ├── SourceError                      an external source (YouTube, a chart feed, a CSV) failed
    │   ├── TransientSourceError         retry with backoff: timeouts, 5xx, rate limits
    │   │   └── QuotaExceeded            defer until ``retry_at`` (YouTube: midnight Pacific Time)
    │   └── PermanentSourceError         do not retry
    │       ├── SourceAuthError          bad or blocked API key
    │       ├── SourceRequestError       the request itself is wrong (4xx other than auth/quota)
    │       ├── VideoNotFound            an id the source no longer returns (deleted or private)
    │       └── FeedRejected             a payload that fails validation and must not be stored
    └── RowError                         one input row is bad: line, column, raw value, reason

(The development tooling's errors, such as a failed migration, live in :mod:`devtools.errors`.)

``RowError`` is reported, not raised through a whole import: a CSV import
collects them and carries on with the good rows.
"""

from __future__ import annotations

from datetime import datetime


class MusicVideoError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(MusicVideoError):
    """Settings are missing or invalid."""


class SourceError(MusicVideoError):
    """An external source failed. ``source`` names it (``youtube``, ``billboard_hot_100`` ...)."""

    def __init__(self, message: str, *, source: str = "", status: int | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        bits = [self.message]
        if self.status is not None or self.reason:
            bits.append(f"(HTTP {self.status}, reason {self.reason})" if self.status is not None
                        else f"(reason {self.reason})")
        return " ".join(bits)


class TransientSourceError(SourceError):
    """Worth retrying later. ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class QuotaExceeded(TransientSourceError):
    """The daily quota is spent. Nothing should call the source again before ``retry_at``."""

    def __init__(self, message: str, *, retry_at: datetime, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_at = retry_at


class PermanentSourceError(SourceError):
    """Retrying cannot help."""


class SourceAuthError(PermanentSourceError):
    """The API key is invalid, blocked or lacks permission."""


class SourceRequestError(PermanentSourceError):
    """The source refused the request as malformed."""


class VideoNotFound(PermanentSourceError):
    """The source did not return this id: deleted, private or never existed."""

    def __init__(self, video_id: str, *, source: str = "youtube") -> None:
        super().__init__("video not found or private", source=source, reason="notFound")
        self.video_id = video_id


class FeedRejected(PermanentSourceError):
    """A payload failed validation; storing it would corrupt history."""


class RowError(MusicVideoError):
    """One bad input row. ``line`` is 1-based and counts physical lines of the file."""

    def __init__(self, *, line: int, column: str | None, value: str | None, reason: str) -> None:
        super().__init__(f"line {line}, column {column!r}: {reason} (value {value!r})")
        self.line = line
        self.column = column
        self.value = value
        self.reason = reason

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "value": self.value, "reason": self.reason}

