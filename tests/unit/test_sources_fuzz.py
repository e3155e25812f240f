"""Property tests: the chart and YouTube parsers only ever fail with FeedRejected (or return an error)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.errors import FeedRejected, SourceError
from workers.sources.charts import parse_apple_rss, parse_global200, parse_hot100, parse_spotify_weekly
from workers.sources.youtube.parser import parse_error, parse_videos_list

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = st.sampled_from(["date", "data", "song", "artist", "this_week", "last_week", "peak_position",
                        "weeks_on_chart", "name", "rank", "last_week_rank", "peak_rank", "feed", "results",
                        "updated", "kind", "id", "artistName", "items", "statistics", "viewCount", "error",
                        "errors", "details", "status", "reason", "message", "code"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                    st.sampled_from(["", "1", "-1", "x", "2025-07-22", "1962-01-06", "songs", "albums",
                                     "Mon, 10 Jan 2022 19:58:33 +0000", "quotaExceeded", "keyInvalid"]))
JSONISH = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                       st.dictionaries(KEYS, kids, max_size=6)), max_leaves=25)
CSV_TOKENS = st.sampled_from(["rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,"
                              "streams\n", "Position,\"Track Name\",Artist,Streams,URL\n", ",", "\n", '"', '""',
                              "1", "-1", "0", "x", "spotify:track:4fouWK6XVHhzl78KzQ1UjL", "\ufeff", "\r\n",
                              "https://open.spotify.com/track/1rgnBhdG2JDFTbYkYRZAku", '"32267898"'])


@FUZZ
@given(doc=JSONISH)
def test_json_parsers_only_raise_feed_rejected(doc):
    raw = json.dumps(doc).encode()
    for parse in (parse_hot100, parse_global200, parse_apple_rss, lambda p: parse_videos_list(p, ["a"])):
        with contextlib.suppress(FeedRejected):
            parse(raw)


@FUZZ
@given(doc=st.one_of(JSONISH, st.fixed_dictionaries({"error": st.dictionaries(KEYS, JSONISH, max_size=6)})),
       status=st.sampled_from([0, 200, 400, 401, 403, 404, 429, 500, 503]),
       retry_after=st.one_of(st.none(), st.text(max_size=30)))
def test_parse_error_always_returns_a_source_error(doc, status, retry_after):
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    err = parse_error(status, json.dumps(doc), headers, datetime(2026, 11, 24, tzinfo=UTC))
    assert isinstance(err, SourceError) and err.source == "youtube"


@FUZZ
@given(tokens=st.lists(CSV_TOKENS, max_size=60), as_bytes=st.booleans(),
       name=st.sampled_from([None, "regional-global-weekly-2022-01-13.csv", "regional-global-daily-latest.csv",
                             "regional-global-weekly-2020-01-17--2020-01-24.csv"]))
def test_spotify_parser_only_raises_feed_rejected(tokens, as_bytes, name):
    text = "".join(tokens)
    with contextlib.suppress(FeedRejected):
        parse_spotify_weekly(text.encode() if as_bytes else text, filename=name,
                             chart_date=None if name and "latest" not in name else date(2022, 1, 13))
