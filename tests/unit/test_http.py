"""The one HTTP-answer mapping (workers.sources.http), directly and through both sources' clients."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from pytest_httpserver import HTTPServer

from tests.helpers.external_fixtures import fixture
from workers.errors import (
    QuotaExceeded,
    SourceAuthError,
    SourceRequestError,
    TransientSourceError,
)
from workers.sources.charts.client import ChartFetcher
from workers.sources.http import MAX_RETRY_AFTER, error_for_response, retry_after_seconds, transport_errors
from workers.sources.youtube.client import YouTubeClient
from workers.sources.youtube.parser import REASONS

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)

# Retry-After value -> seconds (None: ignored). Every value here can travel in a real header (latin-1).
RETRY_AFTER = {
    "30": 30.0,
    "0": 0.0,
    "Tue, 24 Nov 2026 05:02:00 GMT": 120.0,  # IMF-fixdate
    "Tuesday, 24-Nov-26 05:02:00 GMT": 120.0,  # RFC 850
    "Tue Nov 24 05:02:00 2026": 120.0,  # asctime, no zone: GMT
    "Tue, 24 Nov 2026 04:00:00 GMT": 0.0,  # already past
    "Sat, 01 Jan 2028 00:00:00 GMT": MAX_RETRY_AFTER,
    "999999999": MAX_RETRY_AFTER,
    "9" * 5000: MAX_RETRY_AFTER,  # int() refuses strings over 4300 digits
    "-5": None,
    "1.5": None,
    "¹": None,  # "¹".isdigit() is True, int("¹") raises
    "²5": None,
    "soon": None,
    "": None,
    "Mon, 01 Jan 99999 00:00:00 GMT": None,  # year out of range
}


@pytest.mark.parametrize("value", list(RETRY_AFTER), ids=lambda v: repr(v[:40]))
def test_retry_after_forms(value):
    assert retry_after_seconds({"Retry-After": value}, NOW) == RETRY_AFTER[value]


def test_retry_after_absent_any_case_and_non_latin_digits():
    assert retry_after_seconds(None, NOW) is None
    assert retry_after_seconds({}, NOW) is None
    assert retry_after_seconds({"rEtRy-AfTeR": " 12 "}, NOW) == 12.0
    assert retry_after_seconds(httpx.Headers({"retry-after": "12"}), NOW) == 12.0
    assert retry_after_seconds({"Retry-After": "٣"}, NOW) is None  # Arabic-Indic three


@pytest.mark.parametrize(("status", "cls"), [
    (400, SourceRequestError), (401, SourceAuthError), (403, SourceAuthError), (404, SourceRequestError),
    (408, TransientSourceError), (409, SourceRequestError), (425, TransientSourceError),
    (429, TransientSourceError), (500, TransientSourceError), (502, TransientSourceError),
    (503, TransientSourceError),
])
def test_status_alone_decides_without_known_reasons(status, cls):
    err = error_for_response(status, {"Retry-After": "5"}, now=NOW, source="s", label="Feed", detail="GET /x")
    assert type(err) is cls
    assert (err.status, err.source) == (status, "s") and err.message.endswith("GET /x")
    if cls is TransientSourceError:
        assert err.retry_after == 5.0


def test_known_reasons_win_over_the_status():
    def youtube(status, *reasons):
        return error_for_response(status, None, now=NOW, source="youtube", label="YouTube", detail="",
                                  reasons=reasons, known=REASONS)

    quota = youtube(403, "quotaExceeded")
    assert type(quota) is QuotaExceeded and quota.retry_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert type(youtube(403, "rateLimitExceeded")) is TransientSourceError
    assert type(youtube(403, "backendError")) is TransientSourceError
    assert type(youtube(500, "keyInvalid")) is SourceAuthError
    assert youtube(400, "somethingNew", "keyInvalid").reason == "keyInvalid"
    assert youtube(400, "somethingNew").reason == "somethingNew"
    # the same reason means nothing to a source that does not know it
    plain = error_for_response(403, None, now=NOW, source="s", label="Feed", detail="", reasons=["quotaExceeded"])
    assert type(plain) is SourceAuthError


@pytest.mark.parametrize(("exc", "reason"), [(httpx.ReadTimeout, "timeout"), (httpx.ConnectError, "transport")])
def test_transport_errors_are_transient_and_chained(exc, reason):
    cause = exc("boom", request=httpx.Request("GET", "https://feed.example/x"))
    with pytest.raises(TransientSourceError) as info, transport_errors("s", "GET https://feed.example/x"):
        raise cause
    assert info.value.reason == reason and info.value.__cause__ is cause
    assert "GET https://feed.example/x" in info.value.message


# --------------------------------------------------------------------------- both sources, over loopback

LOOPBACK_RETRY_AFTER = [v for v in RETRY_AFTER if len(v) < 100]


@pytest.mark.parametrize("value", LOOPBACK_RETRY_AFTER, ids=repr)
def test_youtube_client_retry_after_over_http(httpserver: HTTPServer, value):
    body = fixture("youtube", "error_429_rateLimitExceeded_global_quota_metric.json").read_bytes()
    httpserver.expect_request("/videos").respond_with_data(body, status=429, headers={"Retry-After": value},
                                                           content_type="application/json")
    with YouTubeClient("k", base_url=httpserver.url_for(""), clock=lambda: NOW) as client, \
            pytest.raises(TransientSourceError) as info:
        client.fetch_statistics(["a"])
    assert info.value.reason == "rateLimitExceeded"
    assert info.value.retry_after == RETRY_AFTER[value]


@pytest.mark.parametrize("value", LOOPBACK_RETRY_AFTER, ids=repr)
def test_chart_fetcher_retry_after_over_http(httpserver: HTTPServer, value):
    httpserver.expect_request("/hot-100.json").respond_with_data("busy", status=503, headers={"Retry-After": value})
    with ChartFetcher(clock=lambda: NOW) as fetcher, pytest.raises(TransientSourceError) as info:
        fetcher.fetch(httpserver.url_for("/hot-100.json"))
    assert (info.value.status, info.value.retry_after) == (503, RETRY_AFTER[value])


def test_chart_fetcher_refused_connection_is_transient():
    with ChartFetcher() as fetcher, pytest.raises(TransientSourceError) as info:
        fetcher.fetch("http://127.0.0.1:9/feed.json")  # discard port: nothing listens
    assert info.value.reason == "transport" and isinstance(info.value.__cause__, httpx.ConnectError)
