"""YouTube videos.list parser, error classification and client, on the real payloads."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.helpers.external_fixtures import fixture, fixture_files
from workers.errors import (
    FeedRejected,
    PermanentSourceError,
    QuotaExceeded,
    SourceAuthError,
    SourceRequestError,
    TransientSourceError,
)
from workers.sources.youtube.client import MAX_IDS_PER_CALL, ApiKey, YouTubeClient, chunked, fetch_youtube_metrics
from workers.sources.youtube.parser import (
    VideosListResult,
    YouTubeStats,
    next_quota_reset,
    parse_error,
    parse_videos_list,
)

API_KEY = "AIzaSyTEST-not-a-real-key-0123456789abc"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 21:00 PST on Nov 23


def read(name: str) -> bytes:
    return fixture("youtube", name).read_bytes()


# --------------------------------------------------------------------------- parse_videos_list


def test_2019_full_response_counts_are_ints_from_strings():
    result = parse_videos_list(read("videos_list_snippet_contentDetails_status_statistics_2019.json"),
                               ["D-lhorsDlUQ"])
    assert result.missing == []
    assert result.stats["D-lhorsDlUQ"] == YouTubeStats(
        video_id="D-lhorsDlUQ", view_count=7920, like_count=190, comment_count=32, favorite_count=0)


def test_two_ids_without_statistics_part_are_all_unknown_not_zero():
    raw = read("videos_list_two_ids_snippet_player_2019.json")
    result = parse_videos_list(raw, ["ovdbrdCIP7U", "D-lhorsDlUQ"])
    assert set(result.stats) == {"D-lhorsDlUQ", "ovdbrdCIP7U"}
    for stats in result.stats.values():
        assert (stats.view_count, stats.like_count, stats.comment_count, stats.favorite_count) == (
            None, None, None, None)


def test_modern_chart_capture_matches_by_id_not_position():
    raw = read("videos_list_chart_mostPopular_US_2023-11_first10of50.json")
    # Ask in a different order, plus one id the API did not return (deleted/private).
    requested = ["-sNcLvKKXdE", "gone0000000", "AW55J2zE3N4", "Zb01RStdzEs"]
    result = parse_videos_list(raw, requested)
    assert len(result.stats) == 10
    assert result.missing == ["gone0000000"]
    assert result.stats["AW55J2zE3N4"].view_count == 4046271
    assert result.stats["Zb01RStdzEs"].like_count == 328962
    assert result.stats["-sNcLvKKXdE"].comment_count == 1794
    assert {s.favorite_count for s in result.stats.values()} == {0}


def test_accepts_str_and_dict_payloads():
    raw = read("videos_list_snippet_contentDetails_status_statistics_2019.json")
    by_bytes = parse_videos_list(raw, ["D-lhorsDlUQ"])
    assert parse_videos_list(raw.decode(), ["D-lhorsDlUQ"]) == by_bytes
    assert parse_videos_list(json.loads(raw), ["D-lhorsDlUQ"]) == by_bytes


def test_missing_keys_are_none_and_big_counts_survive():
    body = {"kind": "youtube#videoListResponse", "items": [
        {"id": "hidden11111", "statistics": {"viewCount": "18446744073709551615", "commentCount": "3"}},
        {"id": "nocomments1", "statistics": {"viewCount": "5", "likeCount": "2"}},
    ]}
    result = parse_videos_list(body, ["hidden11111", "nocomments1"])
    assert result.stats["hidden11111"].view_count == 2**64 - 1
    assert result.stats["hidden11111"].like_count is None
    assert result.stats["nocomments1"].comment_count is None
    assert result.stats["nocomments1"].favorite_count is None


def test_all_unknown_ids_give_empty_items_and_everything_missing():
    body = {"kind": "youtube#videoListResponse", "etag": "x", "items": [],
            "pageInfo": {"totalResults": 0, "resultsPerPage": 0}}
    assert parse_videos_list(body, ["a", "b", "a"]) == VideosListResult(stats={}, missing=["a", "b"])


@pytest.mark.parametrize("name", [p.name for p in fixture_files("youtube", "error_*.json")])
def test_error_bodies_are_rejected_as_video_lists(name):
    with pytest.raises(FeedRejected):
        parse_videos_list(read(name), ["x"])


def test_discovery_document_is_not_a_video_list_but_documents_our_fields():
    raw = read("discovery_youtube_v3_excerpt_videos_list.json")
    with pytest.raises(FeedRejected, match="videoListResponse"):
        parse_videos_list(raw, [])
    schema = json.loads(raw)["schemas"]["VideoStatistics"]["properties"]
    for key in ("viewCount", "likeCount", "commentCount", "favoriteCount"):
        assert schema[key] == {**schema[key], "type": "string", "format": "uint64"}


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'{"kind": "youtube#channelListResponse", "items": []}',
    b'{"kind": "youtube#videoListResponse", "items": {}}',
    b'{"kind": "youtube#videoListResponse", "items": [{"statistics": {}}]}',
    b'{"kind": "youtube#videoListResponse", "items": [{"id": "a", "statistics": {"viewCount": "-1"}}]}',
    b'{"kind": "youtube#videoListResponse", "items": [{"id": "a", "statistics": {"viewCount": "1e3"}}]}',
    b'{"kind": "youtube#videoListResponse", "items": [{"id": "a", "statistics": {"viewCount": true}}]}',
    b'\xff\xfe',
])
def test_malformed_bodies_are_feed_rejected(body):
    with pytest.raises(FeedRejected):
        parse_videos_list(body, ["a"])


# --------------------------------------------------------------------------- parse_error

EXPECTED_ERRORS = {
    "error_400_badRequest_INVALID_ARGUMENT.json": (400, SourceRequestError, "badRequest",
                                                   "Request contains an invalid argument."),
    "error_400_keyInvalid_usageLimits.json": (400, SourceAuthError, "keyInvalid", "Bad Request"),
    "error_400_required_parameter_part.json": (400, SourceRequestError, "required",
                                               "Required parameter: part"),
    "error_400_unknownPart.json": (400, SourceRequestError, "unknownPart", "statistics"),
    "error_403_quotaExceeded.json": (403, QuotaExceeded, "quotaExceeded",
                                     'exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.'),
    "error_403_quotaExceeded_legacy_layout_2019.json": (
        403, QuotaExceeded, "quotaExceeded", 'exceeded your <a href="/youtube/v3/getting-started#quota">'),
    "error_429_rateLimitExceeded_global_quota_metric.json": (
        429, TransientSourceError, "rateLimitExceeded", "Quota exceeded for quota metric 'Video Uploads'"),
    "error_500_backendError.json": (500, TransientSourceError, "backendError", "Backend Error"),
    "error_503_backendError.json": (503, TransientSourceError, "backendError", "Backend Error"),
}


def test_every_error_fixture_has_an_expectation():
    assert {p.name for p in fixture_files("youtube", "error_*.json")} == set(EXPECTED_ERRORS)


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_parse_error_classifies_real_bodies_by_key(name):
    status, cls, reason, text = EXPECTED_ERRORS[name]
    err = parse_error(status, read(name), {}, NOW)
    assert type(err) is cls
    assert err.reason == reason
    assert err.status == status
    assert err.source == "youtube"
    assert text in err.message  # the API's own words, JSON-unescaped
    assert "\\u003c" not in err.message


def test_quota_retry_at_is_next_midnight_pacific_for_both_layouts():
    for name in ("error_403_quotaExceeded.json", "error_403_quotaExceeded_legacy_layout_2019.json"):
        err = parse_error(403, read(name), None, NOW)
        assert isinstance(err, QuotaExceeded)
        # 2026-11-24 05:00 UTC is 21:00 PST on the 23rd; the reset is 00:00 PST on the 24th = 08:00 UTC.
        assert err.retry_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
        assert err.retry_at.tzinfo is not None


def test_key_invalid_message_speaks_to_the_operator():
    err = parse_error(400, read("error_400_keyInvalid_usageLimits.json"), None, NOW)
    assert err.message.startswith("YouTube API key is invalid or blocked;")
    assert isinstance(err, PermanentSourceError)


def test_rate_limit_as_403_uses_retry_after_header():
    body = json.dumps({"error": {"code": 403, "message": "slow down", "errors": [
        {"domain": "usageLimits", "reason": "userRateLimitExceeded", "message": "slow down"}]}})
    err = parse_error(403, body, {"Retry-After": "30"}, NOW)
    assert type(err) is TransientSourceError
    assert err.retry_after == 30.0
    http_date = parse_error(429, body, {"retry-after": "Tue, 24 Nov 2026 05:02:00 GMT"}, NOW)
    assert http_date.retry_after == 120.0
    # non-ASCII digits ("¹".isdigit() is True) and garbage are ignored, never a crash
    for junk in ("¹", "٣", "soon", ""):
        err = parse_error(429, body, {"Retry-After": junk}, NOW)
        assert type(err) is TransientSourceError and err.retry_after is None


def test_daily_limit_and_permission_denied_and_status_only_variants():
    daily = json.dumps({"error": {"errors": [{"domain": "usageLimits", "reason": "dailyLimitExceeded",
                                              "message": "Daily Limit Exceeded"}], "code": 403,
                                  "message": "Daily Limit Exceeded"}})
    assert isinstance(parse_error(403, daily, None, NOW), QuotaExceeded)
    unreg = daily.replace("dailyLimitExceeded", "dailyLimitExceededUnreg")
    assert type(parse_error(403, unreg, None, NOW)) is SourceAuthError  # no key sent at all
    denied = json.dumps({"error": {"code": 403, "message": "Requests from this referer are blocked.",
                                   "errors": [{"message": "x", "domain": "global", "reason": "forbidden"}],
                                   "status": "PERMISSION_DENIED"}})
    err = parse_error(403, denied, None, NOW)
    assert isinstance(err, SourceAuthError) and err.reason == "forbidden"
    invalid_filters = json.dumps({"error": {"code": 400, "message": "The request specifies an invalid filter "
                                            "parameter.", "errors": [{"reason": "invalidFilters"}]}})
    assert type(parse_error(400, invalid_filters, None, NOW)) is SourceRequestError
    # Unparsable bodies: by status alone.
    assert type(parse_error(502, b"<html>Bad Gateway</html>", None, NOW)) is TransientSourceError
    assert type(parse_error(429, b"", None, NOW)) is TransientSourceError
    assert type(parse_error(403, b"nope", None, NOW)) is SourceAuthError
    assert type(parse_error(404, b"Not Found", None, NOW)) is SourceRequestError


def test_parse_error_never_carries_the_key():
    body = f'{{"error": {{"code": 400, "message": "API key not valid: {API_KEY}", "errors": []}}}}'
    err = parse_error(400, body, None, NOW, secret=API_KEY)
    assert API_KEY not in str(err)
    html = f"<html>GET /youtube/v3/videos?part=statistics&key={API_KEY}</html>"
    assert API_KEY not in str(parse_error(502, html, None, NOW))


@pytest.mark.parametrize(("now", "expected"), [
    # PST (UTC-8) and PDT (UTC-7); the day of each DST switch; just before/after midnight.
    (datetime(2026, 1, 15, 7, 59, tzinfo=UTC), datetime(2026, 1, 15, 8, 0, tzinfo=UTC)),
    (datetime(2026, 1, 15, 8, 0, tzinfo=UTC), datetime(2026, 1, 16, 8, 0, tzinfo=UTC)),
    (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 2, 7, 0, tzinfo=UTC)),
    (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),  # spring forward
    (datetime(2026, 11, 1, 12, 0, tzinfo=UTC), datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),  # fall back
])
def test_next_quota_reset(now, expected):
    got = next_quota_reset(now)
    assert got == expected and got.utcoffset() == timedelta(0)


def test_next_quota_reset_refuses_naive():
    with pytest.raises(ValueError):
        next_quota_reset(datetime(2026, 1, 1))


def test_chunked():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert [len(c) for c in chunked([str(i) for i in range(120)], MAX_IDS_PER_CALL)] == [50, 50, 20]
    assert list(chunked([], 50)) == []


# --------------------------------------------------------------------------- client over HTTP



def _client(server: HTTPServer, **kw) -> YouTubeClient:
    return YouTubeClient(API_KEY, base_url=server.url_for("/youtube/v3"), clock=lambda: NOW, **kw)


def test_client_sends_one_get_with_the_right_query(httpserver: HTTPServer):
    body = read("videos_list_chart_mostPopular_US_2023-11_first10of50.json")
    httpserver.expect_request(
        "/youtube/v3/videos", method="GET",
        query_string={"part": "statistics", "id": "AW55J2zE3N4,NQ_HvTBaFoo,nope", "key": API_KEY},
    ).respond_with_data(body, content_type="application/json")
    with _client(httpserver) as client:
        fetched = client.fetch_statistics(["AW55J2zE3N4", "NQ_HvTBaFoo", "nope"])
    assert client.calls == 1
    assert fetched.status == 200 and fetched.raw == body
    assert fetched.result.missing == ["nope"]
    assert fetched.result.stats["NQ_HvTBaFoo"].view_count == 1995816
    assert API_KEY not in fetched.url_without_key and "key=" not in fetched.url_without_key
    query = parse_qs(urlsplit(fetched.url_without_key).query)
    assert query == {"part": ["statistics"], "id": ["AW55J2zE3N4,NQ_HvTBaFoo,nope"]}
    sent = [req for req, _ in httpserver.log if req.args.get("id") == "AW55J2zE3N4,NQ_HvTBaFoo,nope"]
    assert len(sent) == 1 and "maxResults" not in sent[0].args


def test_the_request_url_is_the_one_httpx_params_would_send():
    ids = ["AW55J2zE3N4", "NQ_Hv-TBaFoo", "n~o.pe", "é/x?&=+%#", "a b", "日本", "tab\there"]
    secret = "AIza-key_with~chars+/="
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"kind": "youtube#videoListResponse", "items": []})

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        client = YouTubeClient([ApiKey("k", secret, 10)], base_url="https://yt.test/youtube/v3", http=http)
        fetched = client.fetch_statistics(ids)
    expected = httpx.URL("https://yt.test/youtube/v3/videos", params={"part": "statistics", "id": ",".join(ids)})
    assert fetched.url_without_key == str(expected)
    assert str(sent[0].url) == str(expected.copy_merge_params({"key": secret}))
    assert fetched.result.missing == ids


def test_an_answer_is_parsed_only_when_asked(httpserver: HTTPServer):
    httpserver.expect_request("/youtube/v3/videos").respond_with_data(b"<html>not json</html>", status=200)
    with _client(httpserver) as client:
        answer = client.fetch_answer(["AW55J2zE3N4"])  # the call itself succeeded
        assert answer.status == 200 and answer.ids == ["AW55J2zE3N4"] and client.calls == 1
        with pytest.raises(FeedRejected) as info:
            answer.parse()
    assert info.value.raw == b"<html>not json</html>"  # kept for audit by the caller


@pytest.mark.parametrize("name", sorted(EXPECTED_ERRORS))
def test_client_maps_real_error_bodies_with_their_real_status(httpserver: HTTPServer, name):
    status, cls, reason, _ = EXPECTED_ERRORS[name]
    httpserver.expect_request("/youtube/v3/videos").respond_with_data(
        read(name), status=status, content_type="application/json; charset=UTF-8")
    with _client(httpserver) as client, pytest.raises(cls) as info:
        client.fetch_statistics(["D-lhorsDlUQ"])
    assert type(info.value) is cls and info.value.reason == reason
    assert API_KEY not in str(info.value)
    assert client.calls == 1


def test_client_maps_timeout_to_transient(httpserver: HTTPServer):
    import threading

    release = threading.Event()

    def slow(_: Request) -> Response:
        release.wait(2)
        return Response("{}", status=200)

    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(slow)
    try:
        with _client(httpserver, timeout=0.2) as client, pytest.raises(TransientSourceError) as info:
            client.fetch_statistics(["D-lhorsDlUQ"])
    finally:
        release.set()
        httpserver.clear()  # the abandoned request may be logged late; keep it out of later tests
    assert info.value.reason == "timeout"
    assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert API_KEY not in str(info.value)


def test_client_maps_connection_refused_to_transient():
    transport = httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")))
    with httpx.Client(transport=transport) as http, pytest.raises(TransientSourceError) as info:
        YouTubeClient(API_KEY, http=http).fetch_statistics(["a"])
    assert info.value.reason == "transport"


def test_client_rejects_more_than_50_ids_without_calling():
    client = YouTubeClient(API_KEY, http=httpx.Client(transport=httpx.MockTransport(lambda r: None)))
    with pytest.raises(ValueError):
        client.fetch_statistics([f"id{i:09d}" for i in range(51)])
    with pytest.raises(ValueError):
        client.fetch_statistics([])
    assert client.calls == 0
    assert API_KEY not in repr(client)


def test_120_ids_make_3_calls_of_at_most_50(httpserver: HTTPServer):
    seen: list[list[str]] = []

    def handler(request: Request) -> Response:
        ids = request.args["id"].split(",")
        seen.append(ids)
        items = [{"kind": "youtube#video", "id": i, "statistics": {"viewCount": str(n)}}
                 for n, i in enumerate(ids) if not i.endswith("7")]  # some ids "deleted"
        return Response(json.dumps({"kind": "youtube#videoListResponse", "items": items[::-1]}),
                        content_type="application/json")

    httpserver.expect_request("/youtube/v3/videos").respond_with_handler(handler)
    ids = [f"vid{i:08d}" for i in range(120)]
    payloads = []
    with _client(httpserver) as client:
        results = fetch_youtube_metrics(client, ids, since=NOW, on_payload=payloads.append)
    assert client.calls == 3 == len(seen) == len(results) == len(payloads)
    assert [len(s) for s in seen] == [50, 50, 20]
    assert [i for batch in seen for i in batch] == ids
    missing = [m for r in results for m in r.missing]
    assert missing == [i for i in ids if i.endswith("7")]
    assert results[2].stats["vid00000119"].view_count == 19


def test_httpx_request_log_is_redacted(httpserver: HTTPServer, caplog):
    httpserver.expect_request("/youtube/v3/videos").respond_with_data(
        read("videos_list_snippet_contentDetails_status_statistics_2019.json"))
    with caplog.at_level(logging.DEBUG), _client(httpserver) as client:
        client.fetch_statistics(["D-lhorsDlUQ"])
    assert any("/youtube/v3/videos" in r.getMessage() for r in caplog.records)
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("httpx", "httpcore", "workers")]
    assert ours and all(API_KEY not in r.getMessage() for r in ours)
