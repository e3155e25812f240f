"""Several YouTube API keys, each with its own daily budget (issue 13 §2): each call's unit is
counted in the database, a key whose budget is spent or that YouTube answers quotaExceeded is
set aside and the next key serves the same call, and only when every key is spent is the source
paused until midnight Pacific Time. The fake answers the real quotaExceeded body."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from tests.helpers.queue_support import FakeYouTube, drain, job_counts, make_settings, make_videos
from workers.sources.youtube.client import ApiKey
from workers.sources.youtube.parser import next_quota_reset
from workers.sources.youtube.quota import DbQuotaLedger
from workers.sync import sync_music_video_metrics

KEY_A = "AIzaKEY-A-not-real-0123456789abcdefghijklm"
KEY_B = "AIzaKEY-B-not-real-0123456789abcdefghijklm"


@pytest.fixture
def yt(httpserver, shared_fixtures):
    return FakeYouTube(httpserver, shared_fixtures)


def two_keys(tmp_path, db_url, yt, *, a_units=100, b_units=100, daily=10_000):
    return make_settings(tmp_path, db_url, yt.base_url, worker_concurrency=1, youtube_daily_units=daily,
                         youtube_api_keys=[{"name": "a", "key": KEY_A, "daily_units": a_units},
                                           {"name": "b", "key": KEY_B, "daily_units": b_units}])


def enqueue(conn, factory, yt, n):
    videos = make_videos(conn, factory, n)
    for _, e in videos:
        yt.add(e)
    release = conn.execute("select release_id from public.music_videos where id = %s", (videos[0][0],)).fetchone()
    sync_music_video_metrics(conn, release_id=release["release_id"])
    return videos


def usage(conn) -> dict[str, tuple[int, bool]]:
    return {r["key_name"]: (r["units_spent"], r["exhausted_at"] is not None) for r in conn.execute(
        "select * from private.youtube_quota_usage where quota_day = private.youtube_quota_day(now())")}


def paused(conn) -> bool:
    return conn.execute("select count(*) as n from private.worker_source_pauses where paused_until > now()"
                        ).fetchone()["n"] == 1


def test_a_key_whose_budget_is_spent_hands_over_to_the_next(conn, factory, yt, tmp_path, db_url):
    enqueue(conn, factory, yt, 120)  # 3 calls
    drain(two_keys(tmp_path, db_url, yt, a_units=1), db_url)
    assert job_counts(conn) == {"succeeded": 120}
    assert yt.keys == [KEY_A, KEY_B, KEY_B]
    assert usage(conn) == {"a": (1, False), "b": (2, False)}
    assert not paused(conn)


def test_a_key_youtube_says_is_spent_mid_run_is_set_aside_and_the_call_retried_on_the_next(
        conn, factory, yt, tmp_path, db_url):
    enqueue(conn, factory, yt, 150)  # 3 calls
    settings = two_keys(tmp_path, db_url, yt)
    yt.key_quota[KEY_A] = 1  # key a's real quota runs out after its first call
    drain(settings, db_url)
    assert job_counts(conn) == {"succeeded": 150}
    # call 2 went to a, was refused with quotaExceeded, and the same ids went to b
    assert yt.keys == [KEY_A, KEY_A, KEY_B, KEY_B]
    assert yt.calls[1] == yt.calls[2]
    assert usage(conn) == {"a": (2, True), "b": (2, False)}
    assert not paused(conn)


def test_every_key_spent_pauses_the_source_until_midnight_pacific(conn, factory, yt, tmp_path, db_url):
    enqueue(conn, factory, yt, 60)
    yt.key_quota.update({KEY_A: 0, KEY_B: 0})
    before = datetime.now(UTC)
    drain(two_keys(tmp_path, db_url, yt), db_url)
    assert yt.keys == [KEY_A, KEY_B]
    assert usage(conn) == {"a": (1, True), "b": (1, True)}
    assert paused(conn)
    assert job_counts(conn) == {"pending": 60}
    assert {r["run_after"] for r in conn.execute("select run_after from public.music_video_metric_imports")} == \
        {next_quota_reset(before)}
    # even with the pause lifted, a fresh client (another process) does not try the spent keys
    # again today: the shared count refuses them, and the source is paused again without a call
    conn.execute("update private.worker_source_pauses set paused_until = now() - interval '1 second'")
    conn.execute("update public.music_video_metric_imports set run_after = now()")
    drain(two_keys(tmp_path, db_url, yt), db_url)
    assert len(yt.keys) == 2 and paused(conn)


def test_the_day_budget_over_all_keys_pauses_without_calling(conn, factory, yt, tmp_path, db_url):
    enqueue(conn, factory, yt, 150)  # 3 calls, 2 units for the day
    drain(two_keys(tmp_path, db_url, yt, daily=2), db_url)
    assert len(yt.keys) == 2 and usage(conn) == {"a": (2, False)}
    assert job_counts(conn) == {"succeeded": 100, "pending": 50}
    pause = conn.execute("select reason from private.worker_source_pauses").fetchone()
    assert "every YouTube API key has spent its daily budget (a, b)" in pause["reason"]


def test_units_reserved_ahead_serve_the_calls_and_unused_ones_are_given_back(conn, db_url):
    key = ApiKey("a", KEY_A, 10)
    with ConnectionPool(db_url, min_size=1, max_size=2, kwargs={"autocommit": True, "row_factory": dict_row}) as pool:
        ledger = DbQuotaLedger(pool, 100)
        assert ledger.reserve_ahead(key, 3)
        assert usage(conn) == {"a": (3, False)}  # counted when reserved
        assert ledger.spend(key) and ledger.spend(key)
        assert usage(conn) == {"a": (3, False)}  # the calls took their units from the reservation
        ledger.release()  # the worker stops: the unit no call used is given back
        assert usage(conn) == {"a": (2, False)}
        assert not ledger.reserve_ahead(key, 9)  # the key's budget (10) cannot hold 2 + 9: nothing reserved
        assert usage(conn) == {"a": (2, False)}
        assert ledger.reserve_ahead(key, 4)
        ledger.exhaust(key)  # YouTube says the key is spent: its unused units go back, the key is set aside
        assert usage(conn) == {"a": (2, True)}
        assert not ledger.spend(key)


def test_refund_never_goes_below_zero_and_checks_its_arguments(conn):
    assert conn.execute("select private.spend_youtube_units('a', 5, 100) as ok").fetchone()["ok"]
    conn.execute("select private.refund_youtube_units('a', 3)")
    conn.execute("select private.refund_youtube_units('nobody', 3)")  # no row: nothing to give back
    assert usage(conn) == {"a": (0, False)}
    for args in (("", 1), ("a", 0)):
        with pytest.raises(psycopg.Error) as exc:
            conn.execute("select private.refund_youtube_units(%s, %s)", args)
        assert exc.value.sqlstate == "22023"


def test_a_worker_with_batches_ahead_counts_exactly_the_calls_it_made(conn, factory, yt, tmp_path, db_url):
    enqueue(conn, factory, yt, 300)  # 6 calls, claimed ahead by 2 slots
    settings = make_settings(tmp_path, db_url, yt.base_url, worker_concurrency=2,
                             youtube_api_keys=[{"name": "a", "key": KEY_A, "daily_units": 100}])
    drain(settings, db_url)
    assert job_counts(conn) == {"succeeded": 300}
    assert len(yt.keys) == 6 and usage(conn) == {"a": (6, False)}
