"""Two real connections creating plans with the same slug at the same time: exactly one wins.

The deterministic tests hold the first create's transaction open until the second connection is
seen waiting on it (pg_stat_activity), so the second one really meets the unique index rather
than the pre-check; the race test simply starts both on a barrier.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers.plan_rpc import RpcError, count, rpc, valid_plan
from workers.db import call_as_postgrest, postgrest_request


def connect(db_url):
    return psycopg.connect(db_url, autocommit=True, row_factory=dict_row)


def outcome(conn, claims, plan):
    try:
        return rpc(conn, claims, "create_music_video", **plan)
    except RpcError as err:
        return err


def wait_until_waiting_on_a_lock(observer, pid, limit_s=20.0):
    """Polls until backend ``pid`` waits on a lock (fails the test if it never does)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        row = observer.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
        if row and row["wait_event_type"] == "Lock":
            return
        time.sleep(0.02)
    pytest.fail(f"backend {pid} never waited on the first transaction")


def first_holds_second_waits(db_url, conn, owner, plan_a, plan_b):
    """Create plan_a in an open transaction on connection A, start plan_b on connection B, wait
    until B blocks on A, commit A; return (A's document, B's outcome)."""
    with connect(db_url) as a, connect(db_url) as b, ThreadPoolExecutor(1) as pool:
        with postgrest_request(a, owner.claims()) as ca:
            doc_a = call_as_postgrest(ca, "create_music_video", plan_a).body
            fut = pool.submit(outcome, b, owner.claims(), plan_b)
            wait_until_waiting_on_a_lock(conn, b.info.backend_pid)
        return doc_a, fut.result(timeout=60)


def test_an_explicit_slug_taken_by_a_concurrent_create_is_a_409(db_url, conn, owner, release):
    doc_a, result_b = first_holds_second_waits(
        db_url, conn, owner, valid_plan(conn, release, slug="launch", title="A"),
        valid_plan(conn, release, slug="launch", title="B"))
    assert doc_a["slug"] == "launch"
    assert isinstance(result_b, RpcError)
    assert (result_b.sqlstate, result_b.message) == (
        "PT409", 'A video with slug "launch" already exists for this release.')
    assert count(conn, "select count(*) as n from public.music_videos") == 1
    assert conn.execute("select title from public.music_videos").fetchone()["title"] == "A"


def test_a_generated_slug_taken_concurrently_moves_on_to_the_next_one(db_url, conn, owner, release):
    doc_a, doc_b = first_holds_second_waits(
        db_url, conn, owner, valid_plan(conn, release, title="Same Title"),
        valid_plan(conn, release, title="Same Title"))
    assert not isinstance(doc_b, RpcError), doc_b
    assert (doc_a["slug"], doc_b["slug"]) == ("same-title", "same-title-2")


def test_two_racing_creates_with_the_same_slug_exactly_one_wins(db_url, conn, owner, release):
    plan = valid_plan(conn, release, slug="race")
    barrier = threading.Barrier(2)

    def attempt(title):
        with connect(db_url) as c:
            barrier.wait(timeout=30)
            return outcome(c, owner.claims(), dict(plan, title=title))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(attempt, ["one", "two"]))
    wins = [r for r in results if not isinstance(r, RpcError)]
    losses = [r for r in results if isinstance(r, RpcError)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].sqlstate == "PT409"
    assert losses[0].message == 'A video with slug "race" already exists for this release.'
    assert count(conn, "select count(*) as n from public.music_videos where slug = 'race'") == 1
