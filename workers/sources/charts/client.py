"""The chart feed fetcher (HTTP and file I/O): raw bytes for the pure parsers of this package.

Failed HTTP exchanges are mapped by :mod:`workers.sources.http`, like every source's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from workers.errors import FeedRejected, SourceRequestError, TransientSourceError
from workers.sources.http import count_call, error_for_response, transport_errors

__all__ = ["ChartFetcher"]


class ChartFetcher:
    """Fetch a chart feed from an http(s) URL, a ``file://`` URL or a local path, as bytes."""

    def __init__(self, http: httpx.Client | None = None, *, timeout: float = 20.0,
                 max_bytes: int = 50 * 1024 * 1024, source: str = "charts",
                 clock: Callable[[], datetime] | None = None) -> None:
        self._own = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout, follow_redirects=True)
        self._timeout = timeout
        self.max_bytes = max_bytes
        self.source = source
        self._clock = clock or (lambda: datetime.now(UTC))
        self.calls = 0

    def close(self) -> None:
        if self._own:
            self._http.close()

    def __enter__(self) -> ChartFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, location: str | Path) -> bytes:
        """The raw bytes at ``location``; foreign errors mapped to the project's tree."""
        text = str(location)
        scheme = urlsplit(text).scheme.lower()
        self.calls += 1
        if scheme in ("http", "https"):
            return self._fetch_http(text)
        if scheme == "file":
            return self._read_file(Path(unquote(urlsplit(text).path)))
        if scheme and len(scheme) > 1:  # not a Windows drive letter
            raise SourceRequestError(f"unsupported chart location scheme {scheme!r}: {text}",
                                     source=self.source)
        return self._read_file(Path(text))

    def _read_file(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise FeedRejected(f"{path}: {size} bytes is over the {self.max_bytes} limit",
                                   source=self.source)
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            raise SourceRequestError(f"cannot read chart file {path}: {exc.strerror or exc}",
                                     source=self.source) from exc
        except OSError as exc:
            raise TransientSourceError(f"I/O error reading chart file {path}: {exc}",
                                       source=self.source) from exc

    def _fetch_http(self, url: str) -> bytes:
        with transport_errors(self.source, f"GET {url}"), \
                self._http.stream("GET", url, timeout=self._timeout) as response:
            status = response.status_code
            count_call(self.source, status)
            if not 200 <= status < 300:
                response.read()
                raise error_for_response(status, response.headers, now=self._clock(), source=self.source,
                                         label="Chart feed", detail=f"GET {url}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise FeedRejected(f"{url}: body over the {self.max_bytes}-byte limit", source=self.source)
            return bytes(body)
